"""Channel adapters: one message out, a provider id back, or a failure that says whether to retry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Which identity kind addresses a customer on each channel (None: the channel needs no address).
# App push goes to the shop's push gateway by customer id (the app registered its device there); the in-app
# inbox is the member page itself.
ADDRESS_KIND = {"email": "email", "sms": "phone", "wechat": "wechat_openid", "webhook": None, "push": None,
                "inapp": None}
# The consent channel each message channel is checked against.
CONSENT_CHANNEL = {"email": "email", "sms": "sms", "wechat": "wechat", "webhook": "any", "push": "push", "inapp": "any"}


@dataclass
class Envelope:
    message_id: int
    idempotency_key: str
    channel: str
    purpose: str
    customer_id: int
    to: str | None
    subject: str | None
    body: str
    locale: str
    unsubscribe_url: str | None = None
    extra: dict = field(default_factory=dict)


class DeliveryError(Exception):
    """Sending failed; `retry` says whether a later attempt may succeed, `bounced` that the address is bad."""

    def __init__(self, message: str, *, retry: bool, bounced: bool = False):
        super().__init__(message)
        self.retry = retry
        self.bounced = bounced


class Channel(Protocol):
    name: str

    def send(self, envelope: Envelope) -> str:
        """Send one message; returns the provider's id for it. Raises DeliveryError."""

    def close(self) -> None: ...
