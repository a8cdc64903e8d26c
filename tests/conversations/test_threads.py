"""Threads on storage: one per customer and channel, idempotent messages, VIP routing, away message, encryption."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from guanxi.conversations import agents, threads
from guanxi.conversations.models import ConversationMessage
from guanxi.conversations.settings import ConversationSettings
from guanxi.db import transaction
from guanxi.errors import Invalid


def test_one_thread_per_customer_and_channel_and_idempotent_messages(runtime, conv_cfg, make_customer):
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        a = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid, address="openid-1")
        b = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid)
        c = threads.thread_for(s, runtime.cipher, "weibo_comment", customer_id=cid, thread="comment:post-9")
        assert a.id == b.id and c.id != a.id
        first = threads.receive(s, runtime.cipher, conv_cfg, a, "我的快递到哪了？", external_id="m-1")
        again = threads.receive(s, runtime.cipher, conv_cfg, a, "我的快递到哪了？", external_id="m-1")
        assert not first.duplicate and again.duplicate and again.message.id == first.message.id
        assert threads.address_of(runtime.cipher, a) == "openid-1"
        conv_id = a.id
    with transaction(runtime.factory) as s:
        rows = threads.messages_of(s, conv_id)
        assert len(rows) == 1
        raw = s.scalar(select(ConversationMessage.body_enc).where(ConversationMessage.id == rows[0].id))
        assert "快递" not in raw, "message bodies are encrypted at rest"
        assert threads.body_of(runtime.cipher, rows[0]) == "我的快递到哪了？"


def test_vip_goes_to_dedicated_agent_and_others_round_robin(runtime, conv_cfg, make_customer):
    vip, _, _ = make_customer(tags=["vip"])
    others = [make_customer()[0] for _ in range(3)]
    with transaction(runtime.factory) as s:
        ann = agents.create(s, "Ann", status="online").id
        bo = agents.create(s, "Bo", status="online").id
        dee = agents.create(s, "Dee", status="online", skills=["vip"]).id
        agents.dedicate(s, vip, bo)
    with transaction(runtime.factory) as s:
        got = []
        for cid in others:
            conv = threads.thread_for(s, runtime.cipher, "livechat", customer_id=cid)
            threads.receive(s, runtime.cipher, conv_cfg, conv, "hi")
            got.append(conv.assignee_id)
        assert sorted(got[:3]) == sorted([ann, bo, dee])
        conv = threads.thread_for(s, runtime.cipher, "wechat", customer_id=vip)
        threads.receive(s, runtime.cipher, conv_cfg, conv, "在吗")
        assert conv.vip and conv.assignee_id == bo
    with transaction(runtime.factory) as s:
        agents.set_status(s, bo, "away")
    with transaction(runtime.factory) as s:
        conv = threads.thread_for(s, runtime.cipher, "email", customer_id=vip)
        threads.receive(s, runtime.cipher, conv_cfg, conv, "hello")
        assert conv.assignee_id == dee, "dedicated agent away: a VIP-skilled agent takes it"


def test_cap_on_concurrent_chats_queues_the_rest(runtime, conv_cfg, make_customer):
    with transaction(runtime.factory) as s:
        only = agents.create(s, "Solo", status="online", max_chats=1).id
    people = [make_customer()[0] for _ in range(2)]
    with transaction(runtime.factory) as s:
        convs = [threads.thread_for(s, runtime.cipher, "livechat", customer_id=cid) for cid in people]
        for conv in convs:
            threads.receive(s, runtime.cipher, conv_cfg, conv, "hi")
        assert [c.assignee_id for c in convs] == [only, None]
        assert [c.id for c in threads.inbox(s, unassigned=True)] == [convs[1].id]


def test_away_message_outside_hours_once(runtime, make_customer):
    cfg = ConversationSettings(_env_file=None, opens=dt.time(9), closes=dt.time(21), timezone="Asia/Shanghai")
    night = dt.datetime(2026, 11, 23, 23, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        conv = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid)
        threads.receive(s, runtime.cipher, cfg, conv, "还在吗", now=night)
        threads.receive(s, runtime.cipher, cfg, conv, "?", now=night + dt.timedelta(minutes=5))
        away = [m for m in threads.messages_of(s, conv.id) if m.kind == "away"]
        assert len(away) == 1 and away[0].delivery == "pending"
        assert "9:00" in threads.body_of(runtime.cipher, away[0])


def test_reply_clears_the_clock_and_refuses_banned_words(runtime, conv_cfg, make_customer):
    cid, _, order_id = make_customer(order=True)
    other, _, other_order = make_customer(order=True)
    with transaction(runtime.factory) as s:
        conv = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid)
        threads.receive(s, runtime.cipher, conv_cfg, conv, "size?")
        assert conv.waiting_since is not None
        with pytest.raises(Invalid):
            threads.reply(s, runtime.cipher, conv, "这是全网最低价", "agent")
        threads.reply(s, runtime.cipher, conv, "M 码合适", "agent")
        assert conv.waiting_since is None and conv.first_response_at and conv.status == "waiting"
        threads.update(s, conv, {"type": "pre_sales", "tags": ["size"], "order_id": order_id})
        with pytest.raises(Invalid):
            threads.update(s, conv, {"order_id": other_order})
        threads.receive(s, runtime.cipher, conv_cfg, conv, "thanks")
        assert conv.status == "open"
