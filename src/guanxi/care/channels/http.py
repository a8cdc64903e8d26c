"""SMS, WeChat template messages, app push and the shop's own webhook, over HTTP.

Every request carries the message's idempotency key (header `Idempotency-Key`), so a provider
that honours it sends a retried message once. Errors: a timeout, 408, 429 or 5xx is retried;
any other 4xx is final.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from guanxi.care.channels import DeliveryError, Envelope

SIGNATURE_HEADER = "X-Guanxi-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def header_key(key: str) -> str:
    """The idempotency key as an HTTP header value: as it is when ASCII, else a stable hash of it."""
    return key if key.isascii() else "sha256-" + hashlib.sha256(key.encode()).hexdigest()


def signature_ok(secret: str | None, body: bytes, given: str | None) -> bool:
    return bool(secret) and bool(given) and hmac.compare_digest(sign(secret, body), given)


class HttpChannel:
    name = "http"

    def __init__(self, base_url: str | None, *, timeout: float = 10.0, client: httpx.Client | None = None):
        self.base_url = (base_url or "").rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)

    def post(self, url: str, payload: dict, env: Envelope, headers: dict | None = None) -> dict:
        if not self.base_url:
            raise DeliveryError(f"no endpoint configured for {self.name}", retry=True)
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            reply = self.client.post(url, content=body, headers={
                "Content-Type": "application/json", "Idempotency-Key": header_key(env.idempotency_key),
                **(headers or {})})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name}: {exc.__class__.__name__}: {exc}", retry=True) from None
        if reply.status_code in (408, 429) or reply.status_code >= 500:
            raise DeliveryError(f"{self.name}: HTTP {reply.status_code}", retry=True)
        if reply.status_code >= 400:
            raise DeliveryError(f"{self.name}: HTTP {reply.status_code}: {reply.text[:200]}", retry=False,
                                bounced=reply.status_code in (404, 410))
        try:
            return reply.json() if reply.content else {}
        except ValueError:
            return {}

    def close(self) -> None:
        self.client.close()


class SmsChannel(HttpChannel):
    name = "sms"

    def __init__(self, base_url: str | None, api_key: str | None, **kwargs):
        super().__init__(base_url, **kwargs)
        self.api_key = api_key

    def send(self, env: Envelope) -> str:
        if not env.to:
            raise DeliveryError("no phone number", retry=False, bounced=True)
        text = env.body
        if env.unsubscribe_url:
            text += " 回TD退订" if env.locale == "zh-CN" else " Reply STOP to opt out"
        data = self.post(f"{self.base_url}/messages", {"to": env.to, "text": text, "reference": env.idempotency_key},
                         env, {"Authorization": f"Bearer {self.api_key or ''}"})
        return str(data.get("id") or env.idempotency_key)


class WeChatChannel(HttpChannel):
    """Template messages (模板消息): the template's subject names the WeChat template id; the body is
    the `data` object as JSON ({"first": {"value": ...}, ...}) or plain text put in `first`."""

    name = "wechat"

    def __init__(self, base_url: str | None, access_token: str | None, **kwargs):
        super().__init__(base_url, **kwargs)
        self.access_token = access_token

    def send(self, env: Envelope) -> str:
        if not env.to:
            raise DeliveryError("no WeChat openid", retry=False, bounced=True)
        try:
            data = json.loads(env.body)
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            data = {"first": {"value": env.body}}
        payload = {"touser": env.to, "template_id": env.subject or "", "data": data}
        if env.extra.get("url"):
            payload["url"] = env.extra["url"]
        reply = self.post(f"{self.base_url}/cgi-bin/message/template/send?access_token={self.access_token or ''}",
                          payload, env)
        code = reply.get("errcode", 0)
        if code == -1:  # system busy
            raise DeliveryError("wechat: system busy", retry=True)
        if code:
            # 43004: the user does not follow the account any more; 40003: bad openid
            raise DeliveryError(f"wechat errcode {code}: {reply.get('errmsg')}", retry=False,
                                bounced=code in (40003, 43004))
        return str(reply.get("msgid") or env.idempotency_key)


class WebhookChannel(HttpChannel):
    """The shop's own endpoint, signed with HMAC-SHA256 of the body (header X-Guanxi-Signature)."""

    name = "webhook"

    def __init__(self, url: str | None, secret: str | None, **kwargs):
        super().__init__(url, **kwargs)
        self.secret = secret

    def send(self, env: Envelope) -> str:
        payload = {"id": env.message_id, "idempotency_key": env.idempotency_key, "customer_id": env.customer_id,
                   "purpose": env.purpose, "locale": env.locale, "subject": env.subject, "body": env.body,
                   "unsubscribe_url": env.unsubscribe_url}
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {SIGNATURE_HEADER: sign(self.secret, body)} if self.secret else {}
        data = self.post(self.base_url, payload, env, headers)
        return str(data.get("id") or env.idempotency_key)


class PushChannel(HttpChannel):
    """App push through the shop's push gateway (JPush, Getui, FCM behind the shop's own service):
    `POST {push_url}/push` with the customer's id as the alias the app registered under."""

    name = "push"

    def __init__(self, base_url: str | None, api_key: str | None, **kwargs):
        super().__init__(base_url, **kwargs)
        self.api_key = api_key

    def send(self, env: Envelope) -> str:
        payload = {"alias": str(env.customer_id), "title": env.subject or "", "body": env.body,
                   "locale": env.locale, "reference": env.idempotency_key}
        data = self.post(f"{self.base_url}/push", payload, env, {"Authorization": f"Bearer {self.api_key or ''}"})
        return str(data.get("id") or env.idempotency_key)
