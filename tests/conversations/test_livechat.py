"""Live chat: a visitor chats anonymously, signs in, and the conversation joins the customer."""

from __future__ import annotations

import pytest

from guanxi.conversations import livechat, threads
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from guanxi.web.member_codes import start_session


@pytest.fixture
def chat(app, conv_cfg):
    app.dependency_overrides[get_conversation_settings] = lambda: conv_cfg
    yield conv_cfg
    app.dependency_overrides.pop(get_conversation_settings, None)


def _visitor(client) -> dict:
    r = client.post("/api/v1/chat/visitors")
    assert r.status_code == 201 and r.headers["access-control-allow-origin"] == "*"
    return {"X-Chat-Visitor": r.json()["visitor"]}


def test_anonymous_chat_then_sign_in_joins_the_customer(client, runtime, chat, make_customer):
    cid, _, _ = make_customer()
    me = _visitor(client)
    r = client.post("/api/v1/chat/messages", json={"text": "有优惠吗？", "client_id": "a1"}, headers=me)
    assert r.status_code == 201, r.text
    resend = client.post("/api/v1/chat/messages", json={"text": "有优惠吗？", "client_id": "a1"}, headers=me)
    assert resend.json()["duplicate"]
    with transaction(runtime.factory) as s:
        [anon] = threads.inbox(s, channel="livechat")
        assert anon.customer_id is None and anon.visitor_id is not None
        threads.reply(s, runtime.cipher, anon, "新人券满 100 减 10", "agent:ann")
    got = client.get("/api/v1/chat/messages", headers=me).json()["messages"]
    assert [(m["from"], m["text"]) for m in got] == [("visitor", "有优惠吗？"), ("shop", "新人券满 100 减 10")]
    # The visitor signs in on the member page: the same browser now carries the member cookie.
    with transaction(runtime.factory) as s:
        member_token = start_session(s, runtime.secrets.session_secret, cid)
    client.cookies.set("guanxi_member", member_token)
    r = client.post("/api/v1/chat/identify", headers=me)
    assert r.status_code == 200, r.text
    client.cookies.clear()
    client.post("/api/v1/chat/messages", json={"text": "我下单了", "client_id": "a2"}, headers=me)
    with transaction(runtime.factory) as s:
        [conv] = threads.inbox(s, channel="livechat")
        assert conv.customer_id == cid
        assert [threads.body_of(runtime.cipher, m) for m in threads.messages_of(s, conv.id)] == [
            "有优惠吗？", "新人券满 100 减 10", "我下单了"]
        timeline = [e for e in __import__("guanxi.customers.profiles", fromlist=["x"]).timeline(s, cid)
                    if e["kind"] == "conversation"]
        assert timeline and timeline[0]["conversation_id"] == conv.id


def test_sign_in_merges_into_an_existing_customer_thread(client, runtime, chat, make_customer, auth):
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        mine = threads.thread_for(s, runtime.cipher, "livechat", customer_id=cid)
        threads.receive(s, runtime.cipher, chat, mine, "上次的问题")
        mine_id = mine.id
    me = _visitor(client)
    client.post("/api/v1/chat/messages", json={"text": "又来了"}, headers=me)
    r = client.post("/api/v1/chat/visitors/identify", headers=auth("admin"),
                    json={"visitor": me["X-Chat-Visitor"], "customer_id": cid})
    assert r.status_code == 200 and r.json()["conversation_id"] == mine_id
    with transaction(runtime.factory) as s:
        assert [c.id for c in threads.inbox(s, channel="livechat")] == [mine_id]
        assert len(threads.messages_of(s, mine_id)) == 2


def test_long_poll_and_stream_deliver_replies(client, runtime, chat):
    me = _visitor(client)
    client.post("/api/v1/chat/messages", json={"text": "hi"}, headers=me)
    first = client.get("/api/v1/chat/messages", headers=me).json()["messages"][0]["id"]
    assert client.get("/api/v1/chat/messages", params={"after": first, "wait": 0.3}, headers=me).json() == {"messages": []}
    with transaction(runtime.factory) as s:
        [conv] = threads.inbox(s, channel="livechat")
        threads.note(s, runtime.cipher, conv, "internal only", "agent:ann")
        threads.reply(s, runtime.cipher, conv, "hello!", "agent:ann")
    with client.stream("GET", "/api/v1/chat/stream",
                       params={"visitor": me["X-Chat-Visitor"], "after": first, "seconds": 1}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert "event: message" in text and "hello!" in text and "internal only" not in text
    assert client.get("/api/v1/chat/stream", params={"visitor": "not-a-visitor"}).status_code == 401


def test_a_flooding_visitor_is_throttled_and_others_still_get_through(client, chat, app):
    cfg = chat.model_copy(update={"chat_visitor_per_minute": 3})
    app.dependency_overrides[get_conversation_settings] = lambda: cfg
    loud, quiet = _visitor(client), _visitor(client)
    codes = [client.post("/api/v1/chat/messages", json={"text": f"m{i}"}, headers=loud).status_code for i in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    assert client.post("/api/v1/chat/messages", json={"text": "hello"}, headers=quiet).status_code == 201
    assert client.post("/api/v1/chat/messages", json={"text": "x"}, headers={"X-Chat-Visitor": "nobody-here"}).status_code == 401


def test_widget_script_is_served(client):
    r = client.get("/static/js/guanxi-chat.js")
    assert r.status_code == 200 and "/api/v1/chat" in r.text and "EventSource" in r.text


def test_a_reply_reaches_the_waiting_visitor_at_once(client, runtime, chat, auth):
    import threading
    import time

    me = _visitor(client)
    client.post("/api/v1/chat/messages", json={"text": "在吗"}, headers=me)
    first = client.get("/api/v1/chat/messages", headers=me).json()["messages"][0]["id"]
    with transaction(runtime.factory) as s:
        [conv] = threads.inbox(s, channel="livechat")
        conv_id = conv.id
    got: dict = {}

    def wait_for_reply():
        start = time.monotonic()
        r = client.get("/api/v1/chat/messages", params={"after": first, "wait": 10}, headers=me)
        got["messages"], got["waited"] = r.json()["messages"], time.monotonic() - start

    waiter = threading.Thread(target=wait_for_reply)
    waiter.start()
    time.sleep(0.5)
    assert client.post(f"/api/v1/conversations/{conv_id}/replies", json={"body": "在的"},
                       headers=auth("service")).status_code == 201
    waiter.join(10)
    assert [m["text"] for m in got["messages"]] == ["在的"]
    assert got["waited"] < 3, "woken by the reply, not by the periodic re-read"
