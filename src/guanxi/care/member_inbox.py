"""The in-app inbox on the member page: messages sent on channel "inapp", newest first. Showing them
to the member counts as their open (the first time), as a pixel would for an e-mail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.care import tracking
from guanxi.care.models import OutboxMessage
from guanxi.db import utcnow
from guanxi.privacy.crypto import PiiCipher

SHOWN = ("sent", "delivered")


@dataclass(frozen=True)
class InboxItem:
    id: int
    subject: str | None
    body: str
    at: dt.datetime
    new: bool


def inbox(session: Session, cipher: PiiCipher, customer_id: int, *, limit: int = 20,
          now: dt.datetime | None = None) -> list[InboxItem]:
    rows = list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.customer_id == customer_id, OutboxMessage.channel == "inapp",
        OutboxMessage.status.in_(SHOWN), OutboxMessage.body_enc.is_not(None))
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(limit)))
    items = [InboxItem(m.id, cipher.decrypt(m.subject_enc, context="care_subject") if m.subject_enc else None,
                       cipher.decrypt(m.body_enc, context="care_body") or "", m.sent_at or m.created_at,
                       m.opened_at is None) for m in rows]
    unseen = [m.id for m in rows if m.opened_at is None]
    if unseen:
        tracking.stamp_opened(session, unseen, now or utcnow())
    return items
