"""Resolving a ticket: root cause, resolution type, goodwill within the role's limit, a follow-up date,
and the CSAT survey that follows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Forbidden, Invalid
from guanxi.loyalty import points as loyalty_points
from guanxi.service import root_causes, surveys, tickets
from guanxi.service.models import Ticket
from guanxi.service.settings import ServiceSettings
from guanxi.staff.roles import GOODWILL_LIMITS, Actor

RESOLUTION_TYPES = ("refund", "replacement", "coupon", "points", "explanation")
# The built-in causes the editable list (root_causes.py) is seeded from.
ROOT_CAUSES = tuple(root_causes.DEFAULTS)


@dataclass
class ResolutionIn:
    root_cause: str
    resolution_type: str
    note: str = ""
    goodwill_points: int = 0
    follow_up_days: int | None = None


def check_goodwill(actor: Actor, points: int) -> None:
    if points < 0:
        raise Invalid("goodwill points are a positive number")
    if not points:
        return
    if actor.role not in GOODWILL_LIMITS:
        raise Forbidden(f"the {actor.role.value} role may not grant goodwill")
    limit = GOODWILL_LIMITS[actor.role]
    if limit is not None and points > limit:
        raise Forbidden(f"the {actor.role.value} role may grant at most {limit} points at once")


def _grant_goodwill(session: Session, ticket: Ticket, points: int, actor: Actor, now: dt.datetime) -> str:
    """Goodwill points through the loyalty domain (its own limit check, audit and idempotency key)."""
    adjusted = loyalty_points.adjust(session, ticket.customer_id, points, f"goodwill for ticket #{ticket.id}",
                                     f"ticket:{ticket.id}", actor, now=now)
    tickets.event(session, ticket, tickets.TicketEventKind.goodwill, actor.ref, now, points=points,
                  entry_id=adjusted.entry_id)
    return f"loyalty:{adjusted.entry_id}"


def resolve(session: Session, cfg: ServiceSettings, ticket: Ticket, data: ResolutionIn, actor: Actor,
            now: dt.datetime | None = None) -> surveys.Sent | None:
    """Resolve; returns the CSAT survey to send (None when the ticket has no customer)."""
    now = now or utcnow()
    root_causes.check(session, data.root_cause)
    if data.resolution_type not in RESOLUTION_TYPES:
        raise Invalid(f"resolution type is one of {', '.join(RESOLUTION_TYPES)}")
    check_goodwill(actor, data.goodwill_points)
    if data.goodwill_points and not ticket.customer_id:
        raise Invalid("goodwill needs a ticket with a customer")
    tickets.move(session, cfg, ticket, "resolved", actor.ref, now)
    ticket.root_cause, ticket.resolution_type = data.root_cause, data.resolution_type
    ticket.resolution_note = data.note or None
    days = cfg.follow_up_days if data.follow_up_days is None else data.follow_up_days
    ticket.follow_up_on = (now + dt.timedelta(days=days)).date() if days else None
    if data.goodwill_points and ticket.goodwill_ref is None:
        ticket.goodwill_points = data.goodwill_points
        ticket.goodwill_ref = _grant_goodwill(session, ticket, data.goodwill_points, actor, now)
    tickets.event(session, ticket, tickets.TicketEventKind.resolved, actor.ref, now, root_cause=data.root_cause,
                  resolution_type=data.resolution_type, goodwill_points=data.goodwill_points or None)
    if ticket.customer_id is None:
        return None
    return surveys.send(session, cfg, "csat", customer_id=ticket.customer_id, ticket_id=ticket.id, now=now)
