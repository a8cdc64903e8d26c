"""Improvement actions: a root cause becomes an action with an owning team, a due date and a status;
its complaint rate before and after; when done, every complainant affected is told (through care)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy.crypto import PiiCipher
from guanxi.service import care_messages
from guanxi.service.models import ImprovementAction, ServiceTeam, Ticket
from guanxi.service import root_causes

STATUSES = ("open", "in_progress", "done", "dropped")
MOVES = {"open": {"in_progress", "done", "dropped"}, "in_progress": {"done", "dropped", "open"}, "done": set(),
         "dropped": {"open"}}
WINDOW = dt.timedelta(days=30)


def create(session: Session, *, title: str, root_cause: str, category: str | None = None,
           subcategory: str | None = None, team_id: int | None = None, due_on: dt.date | None = None,
           now: dt.datetime | None = None) -> ImprovementAction:
    root_causes.check(session, root_cause)
    if team_id is not None and session.get(ServiceTeam, team_id) is None:
        raise Invalid(f"no team {team_id}")
    action = ImprovementAction(title=title.strip()[:200], root_cause=root_cause, category=category,
                               subcategory=subcategory, team_id=team_id, due_on=due_on, status="open",
                               created_at=now or utcnow(), customers_told=0)
    session.add(action)
    session.flush()
    return action


def get(session: Session, action_id: int) -> ImprovementAction:
    action = session.get(ImprovementAction, action_id)
    if action is None:
        raise NotFound(f"no improvement action {action_id}")
    return action


def _matching(action: ImprovementAction):
    stmt = select(Ticket).where(Ticket.root_cause == action.root_cause)
    if action.category:
        stmt = stmt.where(Ticket.category == action.category)
    if action.subcategory:
        stmt = stmt.where(Ticket.subcategory == action.subcategory)
    return stmt


def move(session: Session, cipher: PiiCipher, action: ImprovementAction, status: str,
         now: dt.datetime | None = None) -> ImprovementAction:
    now = now or utcnow()
    if status not in MOVES.get(action.status, set()):
        raise Conflict(f"an action that is {action.status} cannot become {status}")
    action.status = status
    if status == "done":
        action.done_at = now
        people = [t.customer_id for t in session.scalars(_matching(action).where(Ticket.customer_id.is_not(None)))]
        action.customers_told = care_messages.improvement_done(session, cipher, action.id, action.title, people)
    return action


def complaint_rates(session: Session, action: ImprovementAction, now: dt.datetime | None = None) -> dict:
    """Matching tickets per week in the 30 days before the action and in the 30 days after it was done."""
    now = now or utcnow()

    def per_week(start: dt.datetime, end: dt.datetime) -> float | None:
        if end <= start:
            return None
        sub = _matching(action).where(Ticket.created_at >= start, Ticket.created_at < end).subquery()
        n = session.scalar(select(func.count()).select_from(sub))
        return round(n / ((end - start) / dt.timedelta(weeks=1)), 2)

    before = per_week(action.created_at - WINDOW, action.created_at)
    after = per_week(action.done_at, min(now, action.done_at + WINDOW)) if action.done_at else None
    return {"before_per_week": before, "after_per_week": after}


def list_actions(session: Session, status: str | None = None) -> list[ImprovementAction]:
    stmt = select(ImprovementAction).order_by(ImprovementAction.due_on.asc().nulls_last(), ImprovementAction.id)
    if status:
        stmt = stmt.where(ImprovementAction.status == status)
    return list(session.scalars(stmt))
