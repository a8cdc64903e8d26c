"""Opens and clicks: signed tracked links and an optional open pixel, each open or click an event row.

A tracked link names a message and the position of a link in that message's stored text, signed
with HMAC; the redirect reads the target back from the stored message, so it can only lead to a URL
that was in the rendered template, and nobody can forge or enumerate links for other messages.
Links are rewritten at send time (the outbox keeps the original text), so a template needs nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from guanxi.care.channels import Envelope
from guanxi.care.models import MessageEvent, OutboxMessage
from guanxi.db import utcnow
from guanxi.privacy.crypto import PiiCipher

# Stops at whitespace, quotes, angle brackets and CJK punctuation around a link in a plain text.
URL = re.compile(r"https?://[^\s<>\"'，。！？、）)]+")
UNTRACKED = ("/api/v1/care/unsubscribe/",)   # an unsubscribe is counted as one, not as a click
TRACKED_CHANNELS = ("email", "sms", "wechat")  # the webhook goes to the shop's own system
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # 1×1 transparent


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), b"care-tracking\x00" + payload.encode(), hashlib.sha256).hexdigest()[:24]


def click_token(secret: str, message_id: int, link: int) -> str:
    payload = f"{message_id}.{link}"
    return f"{payload}.{_mac(secret, 'c' + payload)}"


def open_token(secret: str, message_id: int) -> str:
    return f"{message_id}.{_mac(secret, f'o{message_id}')}"


def read_click(secret: str, token: str) -> tuple[int, int] | None:
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts[:2]) or len(parts[0]) > 19 or len(parts[1]) > 4:
        return None
    if not hmac.compare_digest(parts[2], _mac(secret, f"c{parts[0]}.{parts[1]}")):
        return None
    return int(parts[0]), int(parts[1])


def read_open(secret: str, token: str) -> int | None:
    parts = token.removesuffix(".gif").split(".")
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 19:
        return None
    return int(parts[0]) if hmac.compare_digest(parts[1], _mac(secret, f"o{parts[0]}")) else None


def rewrite(body: str, base: str, secret: str, message_id: int) -> str:
    """Every link of the text replaced by its tracked link; numbering follows the original text."""
    counter = iter(range(10_000))

    def swap(match: re.Match) -> str:
        n = next(counter)
        url = match.group(0)
        if any(part in url for part in UNTRACKED):
            return url
        return f"{base}/c/{click_token(secret, message_id, n)}"

    return URL.sub(swap, body)


def decorate(envelope: Envelope, public_url: str, secret: str, *, links: bool, pixel: bool) -> Envelope:
    """Called by the outbox at send time: tracked links in the text, the pixel URL for HTML e-mail."""
    base = public_url.rstrip("/")
    if links and envelope.channel in TRACKED_CHANNELS:
        envelope.body = rewrite(envelope.body, base, secret, envelope.message_id)
    if pixel and envelope.channel == "email":
        envelope.extra["open_pixel"] = f"{base}/c/o/{open_token(secret, envelope.message_id)}.gif"
    return envelope


def _event(session: Session, msg: OutboxMessage, kind: str, link: int | None, at: dt.datetime) -> None:
    session.add(MessageEvent(message_id=msg.id, campaign_id=msg.campaign_id, kind=kind, link=link, at=at))


def click(session: Session, cipher: PiiCipher, secret: str, token: str, at: dt.datetime | None = None) -> str | None:
    """The original URL for a tracked link (None: forged, unknown or erased); the click is recorded."""
    got = read_click(secret, token)
    if got is None:
        return None
    msg = session.get(OutboxMessage, got[0])
    if msg is None or msg.body_enc is None:
        return None
    urls = URL.findall(cipher.decrypt(msg.body_enc, context="care_body") or "")
    if got[1] >= len(urls):
        return None
    at = at or utcnow()
    _event(session, msg, "click", got[1], at)
    # Only the first click stamps the message: reloads add events (total) but not unique clicks.
    session.execute(update(OutboxMessage).where(OutboxMessage.id == msg.id, OutboxMessage.clicked_at.is_(None))
                    .values(clicked_at=at))
    _opened(session, msg.id, at)  # a click proves the message was opened, pixel or not
    return urls[got[1]]


def _opened(session: Session, message_id: int, at: dt.datetime) -> None:
    stamp_opened(session, [message_id], at)


def stamp_opened(session: Session, message_ids: list[int], at: dt.datetime) -> None:
    """The first open of each message (pixel, click, or shown in the member's in-app inbox); later ones keep it."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(message_ids), OutboxMessage.opened_at.is_(None))
                    .values(opened_at=at))


def open_(session: Session, secret: str, token: str, at: dt.datetime | None = None) -> bool:
    message_id = read_open(secret, token)
    msg = session.get(OutboxMessage, message_id) if message_id is not None else None
    if msg is None:
        return False
    at = at or utcnow()
    _event(session, msg, "open", None, at)
    _opened(session, msg.id, at)
    return True


def unsubscribed(session: Session, customer_id: int, channel: str, at: dt.datetime | None = None) -> None:
    """Credit an unsubscribe to the customer's latest marketing message on that channel, once."""
    msg = session.scalar(select(OutboxMessage).where(
        OutboxMessage.customer_id == customer_id, OutboxMessage.purpose == "marketing",
        OutboxMessage.sent_at.is_not(None), *([OutboxMessage.channel == channel] if channel != "any" else []))
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(1))
    if msg is None or session.scalar(select(MessageEvent.id).where(
            MessageEvent.message_id == msg.id, MessageEvent.kind == "unsubscribe").limit(1)):
        return
    _event(session, msg, "unsubscribe", None, at or utcnow())


def figures(session: Session, *, campaign_id: int | None = None, message_ids: list[int] | None = None) -> dict:
    """opened and clicked (unique: messages; total: events) and unsubscribes, for a campaign or messages."""
    msg_where = [OutboxMessage.campaign_id == campaign_id] if campaign_id is not None else \
        [OutboxMessage.id.in_(message_ids or [])]
    ev_where = [MessageEvent.campaign_id == campaign_id] if campaign_id is not None else \
        [MessageEvent.message_id.in_(message_ids or [])]
    opened, clicked = session.execute(select(func.count(OutboxMessage.opened_at), func.count(OutboxMessage.clicked_at))
                                      .where(*msg_where)).one()
    events = dict(session.execute(select(MessageEvent.kind, func.count()).where(*ev_where)
                                  .group_by(MessageEvent.kind)).all())
    return {"opened": int(opened), "opens_total": int(events.get("open", 0)), "clicked_unique": int(clicked),
            "clicked_total": int(events.get("click", 0)), "unsubscribes": int(events.get("unsubscribe", 0))}
