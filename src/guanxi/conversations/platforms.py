"""What the platforms send us, checked and read: values in, values out.

- WeChat official account (公众号): the server URL is verified and every push is signed the way
  WeChat does it, sha1 of the sorted (token, timestamp, nonce) joined; messages are XML.
- Weibo and Douyin direct messages and comments, and the call centre: JSON bodies signed with
  HMAC-SHA256 of the raw body (header X-Signature: sha256=<hex>), as our HTTP adapters agree
  with the platform gateway. A replayed body changes nothing: delivery is idempotent on the
  platform's message id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from guanxi.care.channels.http import signature_ok
from guanxi.errors import Invalid

SIGNATURE_HEADER = "X-Signature"
MAX_XML = 64 * 1024


@dataclass(frozen=True)
class Inbound:
    channel: str               # wechat | weibo_dm | weibo_comment | douyin_dm | douyin_comment
    identity_kind: str         # how the customers domain knows the sender
    user_id: str
    message_id: str
    text: str
    thread: str = "dm"         # dm | comment:<post id>
    user_name: str | None = None


@dataclass(frozen=True)
class CallIn:
    call_id: str
    phone: str
    direction: str             # in | out
    seconds: int
    notes: str
    agent: str


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def wechat_signature_ok(token: str | None, timestamp: str, nonce: str, signature: str) -> bool:
    return bool(token) and bool(signature) and hmac.compare_digest(wechat_signature(token, timestamp, nonce),
                                                                   signature)


def parse_wechat(xml: bytes) -> Inbound | None:
    """A text message pushed by WeChat; None for what the inbox does not hold (events, images for now)."""
    if len(xml) > MAX_XML or b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise Invalid("not a WeChat message")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        raise Invalid("not a WeChat message") from None
    field = {child.tag: (child.text or "") for child in root}
    if field.get("MsgType") != "text":
        return None
    if not field.get("FromUserName") or not field.get("MsgId"):
        raise Invalid("a WeChat message names its sender and id")
    return Inbound("wechat", "wechat_openid", field["FromUserName"], field["MsgId"], field.get("Content", ""))


def wechat_reply_ok() -> str:
    # WeChat retries a push three times unless it gets "success" (or nothing) within five seconds.
    return "success"


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError:
        raise Invalid("the body is not JSON") from None
    if not isinstance(data, dict):
        raise Invalid("the body is a JSON object")
    return data


def parse_social(platform: str, body: bytes) -> Inbound | None:
    """Weibo or Douyin: {"event": "message"|"comment", "message_id"|"comment_id", "user_id", "text",
    "post_id" (comments), "user_name"}."""
    data = _json(body)
    event = data.get("event")
    if event not in ("message", "comment"):
        return None
    kind = {"weibo": "weibo_id", "douyin": "douyin_id"}[platform]
    text, user = str(data.get("text") or "").strip(), str(data.get("user_id") or "").strip()
    if event == "message":
        mid = str(data.get("message_id") or "")
        thread, channel = "dm", f"{platform}_dm"
    else:
        mid, post = str(data.get("comment_id") or ""), str(data.get("post_id") or "")
        if not post:
            raise Invalid("a comment names its post_id")
        thread, channel = f"comment:{post}", f"{platform}_comment"
    if not (text and user and mid):
        raise Invalid("a message has user_id, an id and text")
    return Inbound(channel, kind, user[:200], mid[:200], text, thread[:200], data.get("user_name"))


def parse_call(body: bytes) -> CallIn:
    data = _json(body)
    try:
        call = CallIn(str(data["call_id"]), str(data["phone"]), str(data.get("direction", "in")),
                      int(data["duration_seconds"]), str(data.get("notes") or ""), str(data.get("agent") or "call-centre"))
    except (KeyError, TypeError, ValueError):
        raise Invalid("a call has call_id, phone and duration_seconds") from None
    if call.direction not in ("in", "out"):
        raise Invalid("direction is in or out")
    return call


def body_signature_ok(secret: str | None, body: bytes, given: str | None) -> bool:
    return signature_ok(secret, body, given)
