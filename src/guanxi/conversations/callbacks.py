"""Call-backs: calls the shop owes customers (VIPs, large orders, unresolved complaints), with a script,
the outcome, and the next date when one more call is needed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.conversations.models import CallBack, Conversation
from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound

REASONS = ("vip", "large_order", "complaint", "other")
SCRIPTS = {
    "vip": "Thank them for being a member; ask how the last order went; mention this month's member offer.",
    "large_order": "Thank them for the order; confirm delivery and fit; offer help with setup or returns.",
    "complaint": "Apologise; confirm what was done about the complaint; ask whether it is settled now.",
    "other": "Introduce yourself and the shop; ask how we can help.",
}


def schedule(session: Session, customer_id: int, reason: str, due_at: dt.datetime, *, script: str | None = None,
             conversation_id: int | None = None, agent_id: int | None = None) -> CallBack:
    if reason not in REASONS:
        raise Invalid(f"reason is one of {', '.join(REASONS)}")
    customer_id = profiles.live_customer(session, customer_id).id
    row = CallBack(customer_id=customer_id, reason=reason, due_at=due_at, script=(script or SCRIPTS[reason]).strip(),
                   conversation_id=conversation_id, agent_id=agent_id, status="due", created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def due(session: Session, now: dt.datetime, *, agent_id: int | None = None, limit: int = 100) -> list[CallBack]:
    stmt = select(CallBack).where(CallBack.status == "due", CallBack.due_at <= now)
    if agent_id is not None:
        stmt = stmt.where((CallBack.agent_id == agent_id) | CallBack.agent_id.is_(None))
    return list(session.scalars(stmt.order_by(CallBack.due_at, CallBack.id).limit(limit)))


def record(session: Session, callback_id: int, outcome: str, *, next_at: dt.datetime | None = None,
           now: dt.datetime | None = None) -> tuple[CallBack, CallBack | None]:
    """The call was made: its outcome; with `next_at`, the next call is scheduled with the same script."""
    now = now or utcnow()
    row = session.get(CallBack, callback_id)
    if row is None:
        raise NotFound(f"no call-back {callback_id}")
    if row.status != "due":
        raise Conflict(f"call-back {callback_id} is already {row.status}")
    if not outcome.strip():
        raise Invalid("say how the call went")
    if next_at is not None and next_at <= now:
        raise Invalid("the next call is in the future")
    row.status, row.outcome, row.done_at = "done", outcome.strip()[:2000], now
    follow = None
    if next_at is not None:
        follow = schedule(session, row.customer_id, row.reason, next_at, script=row.script,
                          conversation_id=row.conversation_id, agent_id=row.agent_id)
    return row, follow


def propose_for_complaints(session: Session, now: dt.datetime, *, after: dt.timedelta = dt.timedelta(days=1)) -> int:
    """A call-back for each complaint conversation closed at least `after` ago that has none yet."""
    convs = session.scalars(select(Conversation).where(
        Conversation.type == "complaint", Conversation.status == "closed", Conversation.customer_id.is_not(None),
        Conversation.closed_at <= now - after))
    made = 0
    for c in convs:
        if session.scalar(select(CallBack.id).where(CallBack.conversation_id == c.id)) is None:
            schedule(session, c.customer_id, "complaint", now, conversation_id=c.id, agent_id=c.assignee_id)
            made += 1
    return made
