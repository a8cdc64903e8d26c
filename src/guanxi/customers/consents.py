"""Consent per channel and purpose, with its history; the latest row is in force."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.models import Consent
from guanxi.db import utcnow
from guanxi.errors import Invalid

CHANNELS = ("email", "sms", "wechat", "push", "any")
PURPOSES = ("marketing", "service", "analytics", "personalisation", "sharing")


def set_consent(session: Session, customer_id: int, channel: str, purpose: str, granted: bool, *,
                source: str | None = None, notice_version: str | None = None,
                at: dt.datetime | None = None) -> Consent:
    if channel not in CHANNELS:
        raise Invalid(f"unknown consent channel {channel!r}; use one of {', '.join(CHANNELS)}")
    if purpose not in PURPOSES:
        raise Invalid(f"unknown consent purpose {purpose!r}; use one of {', '.join(PURPOSES)}")
    row = Consent(customer_id=customer_id, channel=channel, purpose=purpose, granted=granted,
                  source=source, notice_version=notice_version, at=at or utcnow())
    session.add(row)
    session.flush()
    return row


def history(session: Session, customer_id: int) -> list[Consent]:
    return list(session.scalars(select(Consent).where(Consent.customer_id == customer_id)
                                .order_by(Consent.at, Consent.id)))


def current(session: Session, customer_id: int) -> dict[tuple[str, str], Consent]:
    state: dict[tuple[str, str], Consent] = {}
    for row in history(session, customer_id):
        state[(row.channel, row.purpose)] = row
    return state


def allows(session: Session, customer_id: int, channel: str, purpose: str,
           notice_version: str | None = None) -> bool:
    """Granted for this channel (or "any") and purpose, and under the current notice when one is given."""
    state = current(session, customer_id)
    row = state.get((channel, purpose)) or state.get(("any", purpose))
    if row is None or not row.granted:
        return False
    return notice_version is None or row.notice_version == notice_version
