"""One-click unsubscribe: a signed link per (customer, channel), and SMS stop keywords."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy.orm import Session

from guanxi.care.channels import CONSENT_CHANNEL
from guanxi.customers import consents, normalise
from guanxi.customers.identity import identity_hash, owners_of
from guanxi.customers.records import IdentityKey
from guanxi.errors import Invalid, NotFound
from guanxi.privacy.crypto import PiiCipher

STOP_WORDS = {"TD", "T", "N", "退订", "STOP", "UNSUBSCRIBE", "取消订阅"}


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), b"care-unsubscribe\x00" + payload.encode(), hashlib.sha256).hexdigest()[:24]


def make_token(secret: str, customer_id: int, channel: str) -> str:
    payload = f"{customer_id}.{channel}"
    raw = f"{payload}.{_mac(secret, payload)}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_token(secret: str, token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        cid, channel, mac = raw.split(".")
        if not hmac.compare_digest(mac, _mac(secret, f"{cid}.{channel}")):
            raise ValueError
        return int(cid), channel
    except (ValueError, UnicodeDecodeError):
        raise Invalid("this unsubscribe link is not valid") from None


def link(public_url: str, secret: str, customer_id: int, channel: str) -> str:
    return f"{public_url.rstrip('/')}/api/v1/care/unsubscribe/{make_token(secret, customer_id, channel)}"


def unsubscribe(session: Session, secret: str, token: str) -> tuple[int, str]:
    """Withdraw marketing consent for the link's channel, at once; repeating it is harmless."""
    customer_id, channel = read_token(secret, token)
    consent_channel = CONSENT_CHANNEL.get(channel, "any")
    if consents.allows(session, customer_id, consent_channel, "marketing") or \
            (consent_channel, "marketing") not in consents.current(session, customer_id):
        consents.set_consent(session, customer_id, consent_channel, "marketing", False, source="care:unsubscribe")
    return customer_id, consent_channel


def is_stop_word(text: str) -> bool:
    return (text or "").strip().upper().rstrip(".!。！") in STOP_WORDS


def inbound_sms(session: Session, cipher: PiiCipher, phone: str, text: str, *, region: str = "CN") -> int | None:
    """A reply by SMS: a stop keyword (TD, 退订, STOP) withdraws SMS marketing for that number's owner."""
    if not is_stop_word(text):
        return None
    try:
        key = identity_hash(cipher, IdentityKey("phone", "", normalise.phone(phone, region)))
    except Invalid:
        raise NotFound("unknown phone number") from None
    owner = owners_of(session, [key]).get(key)
    if owner is None:
        raise NotFound("unknown phone number")
    consents.set_consent(session, owner, "sms", "marketing", False, source="care:sms-stop")
    return owner
