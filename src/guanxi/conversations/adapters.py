"""Replies out to the platforms' HTTP APIs, on the care domain's adapter pattern.

Each adapter sends one reply and returns the platform's id for it, or raises `DeliveryError`
saying whether to retry (timeouts, 408, 429, 5xx, WeChat's "system busy") or not. Every request
carries `Idempotency-Key: conversation-message-<id>`, so a retried reply is one message.
"""

from __future__ import annotations

from dataclasses import dataclass

from guanxi.care.channels import DeliveryError, Envelope
from guanxi.care.channels.http import HttpChannel
from guanxi.config import Settings
from guanxi.conversations.settings import ConversationSettings
from guanxi.service import notify


@dataclass(frozen=True)
class Reply:
    message_id: int
    channel: str
    to: str | None            # the platform's user id (openid, Weibo/Douyin id) or e-mail address
    thread: str               # dm | comment:<post id>
    in_reply_to: str | None   # the platform id of the customer's last message (comment replies)
    body: str
    subject: str | None = None             # e-mail: "Re: <the customer's subject>"
    references: tuple[str, ...] = ()       # e-mail: the thread's Message-IDs, oldest first

    def envelope(self) -> Envelope:
        return Envelope(message_id=self.message_id, idempotency_key=f"conversation-message-{self.message_id}",
                        channel=self.channel, purpose="service", customer_id=0, to=self.to, subject=None,
                        body=self.body, locale="")


class WeChatCustomerService(HttpChannel):
    """客服消息: a reply inside the 48 hours after the follower wrote."""

    name = "wechat"

    def __init__(self, base_url, access_token, **kw):
        super().__init__(base_url, **kw)
        self.access_token = access_token

    def send_reply(self, r: Reply) -> str:
        if not r.to:
            raise DeliveryError("no WeChat openid", retry=False, bounced=True)
        data = self.post(f"{self.base_url}/cgi-bin/message/custom/send?access_token={self.access_token or ''}",
                         {"touser": r.to, "msgtype": "text", "text": {"content": r.body}}, r.envelope())
        code = data.get("errcode", 0)
        if code == -1:
            raise DeliveryError("wechat: system busy", retry=True)
        if code:  # 45015: the 48-hour window has passed; 43004: unfollowed
            raise DeliveryError(f"wechat errcode {code}: {data.get('errmsg')}", retry=False,
                                bounced=code in (40003, 43004))
        return str(data.get("msgid") or r.envelope().idempotency_key)


class SocialPlatform(HttpChannel):
    """Weibo or Douyin: a direct message, or a reply under the customer's comment."""

    def __init__(self, name: str, base_url, access_token, **kw):
        super().__init__(base_url, **kw)
        self.name, self.access_token = name, access_token

    def send_reply(self, r: Reply) -> str:
        auth = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        if r.thread.startswith("comment:"):
            if not r.in_reply_to:
                raise DeliveryError("no comment to reply to", retry=False)
            payload = {"post_id": r.thread.split(":", 1)[1], "comment_id": r.in_reply_to, "text": r.body}
            data = self.post(f"{self.base_url}/comments/reply", payload, r.envelope(), auth)
        else:
            if not r.to:
                raise DeliveryError(f"no {self.name} user id", retry=False, bounced=True)
            data = self.post(f"{self.base_url}/messages", {"to_user_id": r.to, "text": r.body}, r.envelope(), auth)
        return str(data.get("id") or r.envelope().idempotency_key)


class EmailReply:
    """Through the service desk's mail route (GUANXI_SMTP_*)."""

    name = "email"

    def __init__(self, settings: Settings):
        self.settings = settings

    def send_reply(self, r: Reply) -> str:
        if not r.to:
            raise DeliveryError("no e-mail address", retry=False, bounced=True)
        sent = notify.send(self.settings, r.to, r.subject or "Re: your message", r.body, in_reply_to=r.in_reply_to,
                           references=r.references)
        if sent is None:
            raise DeliveryError("the mail could not go out", retry=True)
        return sent

    def close(self) -> None:
        pass


def adapters(settings: Settings, cfg: ConversationSettings) -> dict[str, object]:
    """channel -> adapter; live chat and phone need none (the visitor polls, the call happened)."""
    weibo = SocialPlatform("weibo", cfg.weibo_api_url, cfg.weibo_access_token)
    douyin = SocialPlatform("douyin", cfg.douyin_api_url, cfg.douyin_access_token)
    return {"wechat": WeChatCustomerService(cfg.wechat_api_url, cfg.wechat_access_token),
            "weibo_dm": weibo, "weibo_comment": weibo, "douyin_dm": douyin, "douyin_comment": douyin,
            "email": EmailReply(settings)}
