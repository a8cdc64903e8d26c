"""The inbox API: list and filter, reply, transfer, mention, ticket (and its replies back on the channel),
the customer beside the reply box, call-backs, pre-sales conversion, privacy hooks."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.conversations import handoff, threads
from guanxi.conversations.settings import get_conversation_settings
from guanxi.customers import hooks
from guanxi.db import transaction


@pytest.fixture
def inbox(app, conv_cfg):
    app.dependency_overrides[get_conversation_settings] = lambda: conv_cfg
    yield conv_cfg
    app.dependency_overrides.pop(get_conversation_settings, None)


def _thread(runtime, cfg, cid, channel="wechat", text="你好", address="oX"):
    with transaction(runtime.factory) as s:
        conv = threads.thread_for(s, runtime.cipher, channel, customer_id=cid, address=address)
        threads.receive(s, runtime.cipher, cfg, conv, text)
        return conv.id


def test_list_reply_transfer_mention(client, runtime, inbox, auth, make_customer):
    staff = auth("service")
    ann = client.post("/api/v1/conversation-agents", json={"name": "Ann", "status": "online"}, headers=staff).json()
    bo = client.post("/api/v1/conversation-agents", json={"name": "Bo", "status": "away"}, headers=staff).json()
    cid, _, order_id = make_customer(order=True)
    conv_id = _thread(runtime, inbox, cid)
    page = client.get("/api/v1/conversations", params={"status": "open"}, headers=staff).json()
    [item] = page["items"]
    assert item["id"] == conv_id and item["assignee_id"] == ann["id"]
    assert item["target"]["kind"] == "first_response" and item["target"]["state"] in ("running", "warning")
    assert client.get("/api/v1/conversations", headers=auth("analyst")).status_code == 403
    r = client.patch(f"/api/v1/conversations/{conv_id}", json={"type": "order_status", "tags": ["物流"],
                                                               "order_id": order_id}, headers=staff)
    assert r.status_code == 200 and r.json()["order_id"] == order_id
    r = client.post(f"/api/v1/conversations/{conv_id}/replies", json={"body": "已发货，明天到"}, headers=staff)
    assert r.status_code == 201 and r.json()["delivery"] == "pending"
    assert client.post(f"/api/v1/conversations/{conv_id}/replies", json={"body": "全网第一"}, headers=staff).status_code == 422
    r = client.post(f"/api/v1/conversations/{conv_id}/notes", json={"body": "@Bo 请看一下", "mentions": [bo["id"]]},
                    headers=staff)
    assert r.status_code == 201
    r = client.post(f"/api/v1/conversations/{conv_id}/transfers", json={"agent_id": bo["id"], "reason": "物流专员"},
                    headers=staff)
    assert r.json()["assignee_id"] == bo["id"]
    detail = client.get(f"/api/v1/conversations/{conv_id}", headers=staff).json()
    assert [m["direction"] for m in detail["messages"]] == ["in", "out", "internal", "internal"]
    assert detail["status"] == "waiting" and detail["target"]["state"] == "none"
    only_tag = client.get("/api/v1/conversations", params={"tag": "物流"}, headers=staff).json()["items"]
    assert [c["id"] for c in only_tag] == [conv_id]


def test_conversation_becomes_ticket_and_ticket_reply_goes_out_on_the_channel(client, runtime, inbox, auth,
                                                                              make_customer):
    staff = auth("service")
    cid, _, _ = make_customer()
    conv_id = _thread(runtime, inbox, cid, text="收到的杯子是碎的")
    client.patch(f"/api/v1/conversations/{conv_id}", json={"type": "complaint"}, headers=staff)
    r = client.post(f"/api/v1/conversations/{conv_id}/ticket", json={"subject": "杯子破损"}, headers=staff)
    assert r.status_code == 201, r.text
    ticket_id = r.json()["ticket_id"]
    again = client.post(f"/api/v1/conversations/{conv_id}/ticket", json={}, headers=staff)
    assert again.status_code == 200 and again.json()["ticket_id"] == ticket_id
    ticket = client.get(f"/api/v1/tickets/{ticket_id}", headers=staff).json()
    assert ticket["customer_id"] == cid and "收到的杯子是碎的" in ticket["messages"][0]["body"]
    r = client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"direction": "out", "body": "已为您补发新杯子"},
                    headers=staff)
    assert r.status_code in (200, 201), r.text
    with transaction(runtime.factory) as s:
        assert handoff.relay_ticket_replies(s, runtime.cipher) == 1
        assert handoff.relay_ticket_replies(s, runtime.cipher) == 0
        out = [m for m in threads.messages_of(s, conv_id) if m.direction == "out"]
        assert [(threads.body_of(runtime.cipher, m), m.delivery) for m in out] == [("已为您补发新杯子", "pending")]


def test_reply_box_customer_summary(client, runtime, inbox, auth, make_customer):
    cid, _, order_id = make_customer(tags=["vip"], order=True)
    conv_id = _thread(runtime, inbox, cid)
    r = client.get(f"/api/v1/conversations/{conv_id}/customer", headers=auth("service"))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["id"] == cid and data["orders_count"] == 1 and "vip" in data["tags"]
    assert data["last_orders"][0]["order_id"] == order_id and "points" in data and "tier" in data
    assert data["name"] != "李雷", "masked beside the reply box"


def test_calls_logged_by_staff_and_call_backs(client, runtime, inbox, auth, make_customer):
    staff = auth("service")
    cid, _, _ = make_customer(tags=["vip"])
    r = client.post(f"/api/v1/customers/{cid}/calls", json={"direction": "out", "duration_seconds": 240,
                                                             "notes": "回访：满意"}, headers=staff)
    assert r.status_code == 201, r.text
    due_at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    cb = client.post("/api/v1/callbacks", json={"customer_id": cid, "reason": "vip", "due_at": due_at}, headers=staff)
    assert cb.status_code == 201 and "member" in cb.json()["script"]
    due = client.get("/api/v1/callbacks", headers=staff).json()
    assert [d["id"] for d in due] == [cb.json()["id"]]
    nxt = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    r = client.post(f"/api/v1/callbacks/{cb.json()['id']}/outcome", json={"outcome": "happy", "next_at": nxt},
                    headers=staff)
    assert r.json()["done"]["status"] == "done" and r.json()["next"]["status"] == "due"
    assert client.get("/api/v1/callbacks", headers=staff).json() == []
    again = client.post(f"/api/v1/callbacks/{cb.json()['id']}/outcome", json={"outcome": "x"}, headers=staff)
    assert again.status_code == 409


def test_presales_conversion_counts_orders_within_n_days(client, runtime, inbox, auth, make_customer):
    buyer, _, _ = make_customer()
    browser, _, _ = make_customer()
    for cid in (buyer, browser):
        with transaction(runtime.factory) as s:
            conv = threads.thread_for(s, runtime.cipher, "livechat", customer_id=cid)
            threads.receive(s, runtime.cipher, inbox, conv, "这个有货吗",
                            now=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
            conv.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
            threads.update(s, conv, {"type": "pre_sales"})
    headers = auth("admin")
    buyer_email = client.get(f"/api/v1/customers/{buyer}", headers=auth("service"), params={"reveal": "true"})
    email = next(i["value"] for i in buyer_email.json()["identities"] if i["kind"] == "email")
    order = {"source": "site", "external_id": "o-after-chat", "customer": {"email": email},
             "placed_at": (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat(), "currency": "CNY",
             "total_minor": 5000, "lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price_minor": 5000}]}
    assert client.post("/api/v1/orders", json=order, headers=headers).status_code in (200, 201)
    r = client.get("/api/v1/conversation-reports/presales-conversion", params={"days": 7}, headers=auth("service"))
    assert r.json() == {"conversations": 2, "converted": 1, "rate": 0.5, "days": 7}
    r = client.get("/api/v1/conversation-reports/presales-conversion", params={"days": 1}, headers=auth("service"))
    assert r.json()["converted"] == 0


def test_timeline_export_and_erasure_hooks(runtime, inbox, make_customer):
    from guanxi.customers import profiles
    from guanxi.privacy import requests as privacy_requests

    cid, _, _ = make_customer()
    conv_id = _thread(runtime, inbox, cid, text="我的地址是北京朝阳区")
    assert "conversations" in hooks.exporters and "conversations" in hooks.erasers and "conversations" in hooks.movers
    with transaction(runtime.factory) as s:
        assert any(e["kind"] == "conversation" for e in profiles.timeline(s, cid))
        s.info[privacy_requests._CIPHER] = runtime.cipher
        exported = hooks.exporters["conversations"](s, cid)
        assert exported[0]["messages"][0]["body"] == "我的地址是北京朝阳区"
        hooks.erasers["conversations"](s, cid)
    with transaction(runtime.factory) as s:
        [m] = threads.messages_of(s, conv_id)
        assert threads.body_of(runtime.cipher, m) == "" and threads.get(s, conv_id).address_enc is None


def test_an_agent_for_an_unknown_staff_user_is_a_clear_404(client, auth):
    reply = client.post("/api/v1/conversation-agents", json={"name": "Ghost", "staff_user_id": 238615},
                        headers=auth("admin"))
    assert reply.status_code == 404
    assert "238615" in reply.json()["detail"]
