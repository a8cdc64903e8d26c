"""Platform webhooks in, replies out: WeChat, Weibo and Douyin through a loopback platform; calls."""

from __future__ import annotations

import json
import time

import pytest

from guanxi.care.channels.http import sign
from guanxi.conversations import platforms, threads
from guanxi.conversations.adapters import adapters
from guanxi.conversations.outbound import deliver_pending
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from guanxi.errors import Invalid

from . import fake_platform

WECHAT_XML = """<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>
<CreateTime>1763900000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>
<MsgId>{msgid}</MsgId></xml>"""


@pytest.fixture
def platform():
    fake = fake_platform.start()
    yield fake
    fake.stop()


@pytest.fixture
def wired(app, conv_cfg, platform):
    cfg = conv_cfg.model_copy(update={"wechat_api_url": platform.url, "wechat_access_token": "AT",
                                      "weibo_api_url": platform.url, "douyin_api_url": platform.url,
                                      "weibo_access_token": "WB"})
    app.dependency_overrides[get_conversation_settings] = lambda: cfg
    yield cfg
    app.dependency_overrides.pop(get_conversation_settings, None)


def _signed_query(token: str) -> dict:
    ts, nonce = str(int(time.time())), "n0nce"
    return {"signature": platforms.wechat_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce}


def test_wechat_signature_is_sha1_of_sorted_token_timestamp_nonce():
    import hashlib
    assert platforms.wechat_signature("tok", "123", "abc") == hashlib.sha1(b"123abctok").hexdigest()
    assert not platforms.wechat_signature_ok(None, "1", "2", platforms.wechat_signature("", "1", "2"))


def test_wechat_server_check_echoes_only_when_signed(client, wired):
    q = _signed_query("wx-token")
    assert client.get("/api/v1/conversations/webhooks/wechat", params={**q, "echostr": "e42"}).text == "e42"
    bad = {**q, "signature": "0" * 40, "echostr": "e42"}
    assert client.get("/api/v1/conversations/webhooks/wechat", params=bad).status_code == 401


def test_wechat_message_in_agent_replies_platform_receives_it_once(client, runtime, wired, platform):
    q = _signed_query("wx-token")
    xml = WECHAT_XML.format(openid="oOPENID1", text="这件外套有 L 码吗？", msgid="7001")
    for _ in range(3):   # WeChat retries a push it thinks failed
        r = client.post("/api/v1/conversations/webhooks/wechat", params=q, content=xml.encode(),
                        headers={"Content-Type": "text/xml"})
        assert r.status_code == 200 and r.text == "success"
    r = client.post("/api/v1/conversations/webhooks/wechat", params={**q, "signature": "f" * 40}, content=xml.encode())
    assert r.status_code == 401
    with transaction(runtime.factory) as s:
        [conv] = threads.inbox(s, channel="wechat")
        assert len(threads.messages_of(s, conv.id)) == 1
        assert conv.customer_id is not None
        threads.reply(s, runtime.cipher, conv, "有的，L 码有货。", "agent:ann")
    platform.script = [503]          # the first attempt fails and is retried on the next run
    channels = adapters(runtime.settings, wired)
    assert deliver_pending(runtime.factory, runtime.cipher, channels) == {"sent": 0, "failed": 0, "retry": 1}
    assert deliver_pending(runtime.factory, runtime.cipher, channels) == {"sent": 1, "failed": 0, "retry": 0}
    assert deliver_pending(runtime.factory, runtime.cipher, channels) == {"sent": 0, "failed": 0, "retry": 0}
    assert len(platform.requests) == 2 and len(platform.delivered) == 1
    req = platform.requests[-1]
    assert req.path == "/cgi-bin/message/custom/send?access_token=AT"
    assert req.body == {"touser": "oOPENID1", "msgtype": "text", "text": {"content": "有的，L 码有货。"}}
    assert {r.headers["Idempotency-Key"] for r in platform.requests} == {next(iter(platform.delivered))}


def test_weibo_comment_and_douyin_dm_signed_with_hmac(client, runtime, wired, platform):
    comment = json.dumps({"event": "comment", "comment_id": "c-55", "post_id": "p-9", "user_id": "wb-1",
                          "text": "多少钱？"}).encode()
    url = "/api/v1/conversations/webhooks"
    assert client.post(f"{url}/weibo", content=comment, headers={"X-Signature": sign("wrong", comment)}).status_code == 401
    r = client.post(f"{url}/weibo", content=comment, headers={"X-Signature": sign("weibo-secret", comment)})
    assert r.status_code == 200, r.text
    again = client.post(f"{url}/weibo", content=comment, headers={"X-Signature": sign("weibo-secret", comment)})
    assert again.json()["duplicate"] and again.json()["message_id"] == r.json()["message_id"]
    dm = json.dumps({"event": "message", "message_id": "d-1", "user_id": "dy-7", "text": "发货了吗"}).encode()
    r2 = client.post(f"{url}/douyin", content=dm, headers={"X-Signature": sign("douyin-secret", dm)})
    assert r2.status_code == 200, r2.text
    with transaction(runtime.factory) as s:
        wb = threads.get(s, r.json()["conversation_id"])
        assert (wb.channel, wb.thread) == ("weibo_comment", "comment:p-9")
        threads.reply(s, runtime.cipher, wb, "199 元，今天包邮。", "agent:bo")
        threads.reply(s, runtime.cipher, threads.get(s, r2.json()["conversation_id"]), "今天发出", "agent:bo")
    assert deliver_pending(runtime.factory, runtime.cipher, adapters(runtime.settings, wired))["sent"] == 2
    bodies = {r.path: r.body for r in platform.requests}
    assert {r.headers.get("Authorization") for r in platform.requests} == {"Bearer WB", None}
    assert bodies["/comments/reply"] == {"post_id": "p-9", "comment_id": "c-55", "text": "199 元，今天包邮。"}
    assert bodies["/messages"] == {"to_user_id": "dy-7", "text": "今天发出"}


def test_call_centre_logs_calls_with_duration_and_notes_once(client, runtime, wired):
    call = json.dumps({"call_id": "call-1", "phone": "13800138000", "direction": "in", "duration_seconds": 185,
                       "notes": "问退货流程", "agent": "cc:li"}).encode()
    url = "/api/v1/conversations/webhooks/calls"
    assert client.post(url, content=call, headers={"X-Signature": "sha256=00"}).status_code == 401
    first = client.post(url, content=call, headers={"X-Signature": sign("cc-secret", call)}).json()
    second = client.post(url, content=call, headers={"X-Signature": sign("cc-secret", call)}).json()
    assert second["duplicate"] and first["message_id"] == second["message_id"]
    with transaction(runtime.factory) as s:
        [m] = threads.messages_of(s, first["conversation_id"])
        assert (m.kind, m.call_seconds, threads.body_of(runtime.cipher, m)) == ("call", 185, "问退货流程")


def test_platform_payloads_are_checked():
    with pytest.raises(Invalid):
        platforms.parse_wechat(b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml/>")
    assert platforms.parse_wechat(b"<xml><MsgType>event</MsgType></xml>") is None
    with pytest.raises(Invalid):
        platforms.parse_social("weibo", b'{"event": "comment", "comment_id": "1", "user_id": "u", "text": "x"}')
    with pytest.raises(Invalid):
        platforms.parse_call(b'{"call_id": "1", "phone": "1", "duration_seconds": "long"}')
