"""Live-chat delivery: replies handed over by the fan-out, replies from another process found by the watch,
and nothing lost or sent twice across a gap or a reconnect."""

from __future__ import annotations

import threading
import time

import pytest

from guanxi.conversations import chat_wait, livechat, threads
from guanxi.conversations.fanout import Wake
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from tests.served import guanxi_server


@pytest.fixture
def chat(app, conv_cfg):
    app.dependency_overrides[get_conversation_settings] = lambda: conv_cfg
    yield conv_cfg
    app.dependency_overrides.pop(get_conversation_settings, None)


def _visitor(client, runtime) -> tuple[dict, int, int]:
    me = {"X-Chat-Visitor": client.post("/api/v1/chat/visitors").json()["visitor"]}
    client.post("/api/v1/chat/messages", json={"text": "你好", "client_id": "h"}, headers=me)
    [hello] = client.get("/api/v1/chat/messages", headers=me).json()["messages"]
    with transaction(runtime.factory) as s:
        visitor = livechat.visitor_for(s, runtime.secrets.session_secret, me["X-Chat-Visitor"])
        conv_id = livechat.current_thread(s, visitor).id
    return me, conv_id, hello["id"]


def _in_background(fn) -> tuple[threading.Thread, dict]:
    got: dict = {}

    def run():
        start = time.monotonic()
        got["value"] = fn()
        got["took"] = time.monotonic() - start

    thread = threading.Thread(target=run)
    thread.start()
    return thread, got


def _events(text: str) -> list[dict]:
    import json
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_handed_over_reply_is_the_same_as_the_read_one(client, runtime, chat, auth):
    me, conv_id, hello = _visitor(client, runtime)
    with transaction(runtime.factory) as s:
        conv = threads.get(s, conv_id)
        msg = threads.reply(s, runtime.cipher, conv, "在的，请讲", "agent:ann")
        handed, prev = livechat.handover(s, conv, msg, "在的，请讲")
    assert prev == hello
    assert handed == client.get("/api/v1/chat/messages", params={"after": hello}, headers=me).json()["messages"]


def test_a_handover_is_used_only_without_a_gap():
    a, b = {"id": 5, "text": "a"}, {"id": 7, "text": "b"}
    assert chat_wait._handed([Wake((a,), 3)], seen=3) == [a]
    assert chat_wait._handed([Wake((b,), 5), Wake((a,), 3)], seen=3) == [a, b]   # out of order, still no gap
    assert chat_wait._handed([Wake((b,), 6)], seen=5) is None                  # message 6 was not handed: read
    assert chat_wait._handed([Wake(None)], seen=5) is None                     # a plain wake-up: read
    assert chat_wait._handed([Wake((a,), 3)], seen=5) == []                    # already sent
    assert chat_wait._handed([], seen=5) == []                                 # a stale wake: nothing to do


def test_a_reply_from_another_process_reaches_the_waiting_visitor(client, runtime, chat, monkeypatch):
    # Written straight to the database, as the worker or another server process does: this process's
    # fan-out is never told, so only the watch can wake the stream (its safety re-read is far later).
    monkeypatch.setattr(chat_wait, "SAFETY_REREAD_SECONDS", 30.0)
    me, conv_id, hello = _visitor(client, runtime)
    waiter, got = _in_background(lambda: client.get("/api/v1/chat/messages", params={"after": hello, "wait": 20},
                                                    headers=me).json()["messages"])
    time.sleep(0.8)
    with transaction(runtime.factory) as s:
        threads.reply(s, runtime.cipher, threads.get(s, conv_id), "工单已处理", "agent:ann")
    waiter.join(25)
    assert [m["text"] for m in got["value"]] == ["工单已处理"]
    assert got["took"] < 5, f"found by the watch, not the safety re-read ({got['took']:.1f} s)"


def test_nothing_is_lost_or_repeated_across_a_gap_and_a_reconnect(client, runtime, chat, auth):
    me, conv_id, hello = _visitor(client, runtime)
    token = me["X-Chat-Visitor"]

    def listen(after: int, seconds: float) -> list[dict]:
        with client.stream("GET", "/api/v1/chat/stream",
                           params={"visitor": token, "after": after, "seconds": seconds}) as r:
            return _events("".join(r.iter_text()))

    stream, got = _in_background(lambda: listen(hello, 4))
    time.sleep(0.8)
    # A message the fan-out never carried (another process), then a handed-over reply right after it:
    # the reply's wake-up has a gap before it, so the stream reads and sends both, in order, once each.
    with transaction(runtime.factory) as s:
        threads.receive(s, runtime.cipher, chat, threads.get(s, conv_id), "还有一个问题")
    assert client.post(f"/api/v1/conversations/{conv_id}/replies", json={"body": "请说"},
                       headers=auth("service")).status_code == 201
    stream.join(10)
    first = got["value"]
    assert [(m["from"], m["text"]) for m in first] == [("visitor", "还有一个问题"), ("shop", "请说")]
    # Reconnecting where it stopped brings only what came since; from the start, everything once.
    assert client.post(f"/api/v1/conversations/{conv_id}/replies", json={"body": "还在吗"},
                       headers=auth("service")).status_code == 201
    assert [m["text"] for m in listen(first[-1]["id"], 1)] == ["还在吗"]
    assert [m["text"] for m in listen(0, 1)] == ["你好", "还有一个问题", "请说", "还在吗"]


def test_a_stream_follows_the_chat_when_it_joins_the_customers_thread(client, runtime, chat, auth, make_customer):
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        mine = threads.thread_for(s, runtime.cipher, "livechat", customer_id=cid)
        threads.receive(s, runtime.cipher, chat, mine, "上次的问题")
        mine_id = mine.id
    me, _, hello = _visitor(client, runtime)
    token = me["X-Chat-Visitor"]

    def listen() -> list[dict]:
        with client.stream("GET", "/api/v1/chat/stream", params={"visitor": token, "after": hello, "seconds": 4}) as r:
            return _events("".join(r.iter_text()))

    stream, got = _in_background(listen)
    time.sleep(0.8)
    assert client.post("/api/v1/chat/visitors/identify", headers=auth("admin"),
                       json={"visitor": token, "customer_id": cid}).status_code == 200
    time.sleep(0.5)
    assert client.post(f"/api/v1/conversations/{mine_id}/replies", json={"body": "欢迎回来"},
                       headers=auth("service")).status_code == 201
    stream.join(10)
    assert "欢迎回来" in [m["text"] for m in got["value"]]


def test_the_watch_wakes_once_per_message_and_never_for_handed_over_ones(runtime, conv_cfg, make_customer):
    from guanxi.conversations import watch
    from guanxi.conversations.fanout import Fanout

    fanout = Fanout()
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        a = threads.thread_for(s, runtime.cipher, "livechat", customer_id=cid)
        b = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid)
        threads.receive(s, runtime.cipher, conv_cfg, a, "before the watch")
        a_id, b_id = a.id, b.id
    seen = watch._Watch(runtime.factory, fanout)
    assert seen.look() == set()                      # what was there before it started is the streams' own read
    with transaction(runtime.factory) as s:
        threads.note(s, runtime.cipher, threads.get(s, a_id), "internal", "agent:ann")   # never shown: no wake
        handed = threads.reply(s, runtime.cipher, threads.get(s, a_id), "handed over", "agent:ann")
        threads.receive(s, runtime.cipher, conv_cfg, threads.get(s, b_id), "from another process")
        handed_id = handed.id
    fanout.notify(a_id, [{"id": handed_id}], 0)
    assert seen.look() == {b_id}
    assert seen.look() == set()                      # looking back over the same ids wakes nobody twice
    with transaction(runtime.factory) as s:
        threads.reply(s, runtime.cipher, threads.get(s, a_id), "written elsewhere", "agent:ann")
    assert seen.look() == {a_id}


@pytest.fixture
def other_server(runtime, tmp_path):
    """A second server process on the same database and secrets (the settings fixture set the environment)."""
    import os

    env = {**os.environ, "GUANXI_LOG_LEVEL": "WARNING", "GUANXI_LOG_FORMAT": "text"}
    with guanxi_server(env, tmp_path, tmp_path / "other-server.log") as base:
        yield base


def test_a_reply_posted_to_another_server_process_reaches_the_stream(client, runtime, chat, auth, other_server,
                                                                      monkeypatch):
    import httpx

    monkeypatch.setattr(chat_wait, "SAFETY_REREAD_SECONDS", 30.0)
    me, conv_id, hello = _visitor(client, runtime)
    waiter, got = _in_background(lambda: client.get("/api/v1/chat/messages", params={"after": hello, "wait": 20},
                                                    headers=me).json()["messages"])
    time.sleep(0.8)
    r = httpx.post(f"{other_server}/api/v1/conversations/{conv_id}/replies", json={"body": "另一台服务器回复"},
                   headers=auth("service"), timeout=10)
    assert r.status_code == 201, r.text
    waiter.join(25)
    assert [m["text"] for m in got["value"]] == ["另一台服务器回复"]
    assert got["took"] < 5, f"found by the watch, not the safety re-read ({got['took']:.1f} s)"
