"""Resolving a ticket: root cause, resolution type, goodwill within the role's limit, a follow-up date,
and the CSAT survey that follows."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Forbidden, Invalid
from guanxi.service import surveys, tickets
from guanxi.service.models import Ticket
from guanxi.service.settings import ServiceSettings
from guanxi.staff.roles import GOODWILL_LIMITS, Actor

RESOLUTION_TYPES = ("refund", "replacement", "coupon", "points", "explanation")
# An editable list in a later step; these are the seed's root causes.
ROOT_CAUSES = ("product_defect", "listing_error", "supplier", "warehouse", "carrier", "staff", "policy",
               "system_outage", "payment_provider", "customer_misunderstanding", "fraud", "other")


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
    """Grant points through the loyalty domain's service function when it offers one
    (`guanxi.loyalty.goodwill.grant(session, customer_id, points, reason, ref, actor)` → entry ref);
    otherwise the grant is recorded on the ticket as pending for loyalty to pick up."""
    try:
        goodwill = importlib.import_module("guanxi.loyalty.goodwill")
    except ImportError:
        goodwill = None
    if goodwill is not None and hasattr(goodwill, "grant") and ticket.customer_id:
        return str(goodwill.grant(session, ticket.customer_id, points, reason=f"ticket #{ticket.id}",
                                  ref=f"ticket:{ticket.id}", actor=actor))
    tickets.event(session, ticket, tickets.TicketEventKind.goodwill, actor.ref, now, points=points,
                  customer_id=ticket.customer_id, ref=f"ticket:{ticket.id}")
    return "pending:loyalty"


def resolve(session: Session, cfg: ServiceSettings, ticket: Ticket, data: ResolutionIn, actor: Actor,
            now: dt.datetime | None = None) -> surveys.Sent | None:
    """Resolve; returns the CSAT survey to send (None when the ticket has no customer)."""
    now = now or utcnow()
    if data.root_cause not in ROOT_CAUSES:
        raise Invalid(f"root cause is one of {', '.join(ROOT_CAUSES)}")
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
