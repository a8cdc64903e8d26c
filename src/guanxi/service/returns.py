"""Returns and exchanges linked to a ticket, and whether a line is still returnable or under warranty.

The no-reason return window counts from delivery (customers.shipments); products marked not
returnable are excluded from it. A flag never refuses what the law allows: staff decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.models import Order, OrderLine, Product
from guanxi.customers.shipments import return_window_open
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.service import abuse
from guanxi.service.models import Ticket, TicketEvent, TicketReturn

KINDS = ("return", "exchange")
MOVES: dict[str, frozenset[str]] = {
    "requested": frozenset({"approved", "rejected"}),
    "approved": frozenset({"received", "rejected"}),
    "received": frozenset({"refunded", "exchanged"}),
    "refunded": frozenset(), "exchanged": frozenset(), "rejected": frozenset(),
}


@dataclass(frozen=True)
class Eligibility:
    order_line_id: int
    sku: str
    name: str
    returnable: bool        # inside the 7-day no-reason window and not an excluded product
    window_open: bool
    excluded: bool
    under_warranty: bool
    warranty_until: dt.date | None


def eligibility(session: Session, order_id: int, now: dt.datetime | None = None, days: int = 7) -> list[Eligibility]:
    now = now or utcnow()
    order = session.get(Order, order_id)
    if order is None:
        return []
    window = return_window_open(order, now, days)
    lines = list(session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)))
    products = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_([l.sku for l in lines])))}
    out = []
    for line in lines:
        p = products.get(line.sku)
        excluded = p is not None and not p.returnable
        months = p.warranty_months if p else 0
        until = _add_months(order.placed_at.date(), months) if months else None
        out.append(Eligibility(line.id, line.sku, line.name, window and not excluded, window, excluded,
                               bool(until and now.date() <= until), until))
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def request(session: Session, ticket: Ticket, kind: str, order_line_id: int, quantity: int, actor: str,
            now: dt.datetime | None = None) -> TicketReturn:
    now = now or utcnow()
    if kind not in KINDS:
        raise Invalid(f"kind is one of {', '.join(KINDS)}")
    if ticket.order_id is None:
        raise Invalid("link the ticket to an order first")
    line = session.get(OrderLine, order_line_id)
    if line is None or line.order_id != ticket.order_id:
        raise Invalid(f"line {order_line_id} is not on order {ticket.order_id}")
    if not 1 <= quantity <= line.quantity:
        raise Invalid(f"quantity is 1 to {line.quantity}")
    elig = {e.order_line_id: e for e in eligibility(session, ticket.order_id, now)}[order_line_id]
    row = TicketReturn(ticket_id=ticket.id, kind=kind, order_line_id=line.id, quantity=quantity, state="requested",
                       returnable=elig.returnable, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, kind="return_changed", actor=actor, at=now,
                            details={"return_id": row.id, "kind": kind, "state": "requested", "returnable": elig.returnable}))
    session.flush()
    abuse.check(session, ticket, now)  # a flag only sends the case to review: the return stands
    return row


def move(session: Session, return_id: int, ticket_id: int, state: str, actor: str, now: dt.datetime | None = None
         ) -> TicketReturn:
    now = now or utcnow()
    row = session.get(TicketReturn, return_id)
    if row is None or row.ticket_id != ticket_id:
        raise NotFound(f"no return {return_id} on ticket {ticket_id}")
    if state not in MOVES.get(row.state, ()):
        raise Conflict(f"a {row.state} {row.kind} cannot become {state}")
    if (state, row.kind) in (("refunded", "exchange"), ("exchanged", "return")):
        raise Conflict(f"a {row.kind} ends {'exchanged' if row.kind == 'exchange' else 'refunded'}")
    row.state, row.updated_at = state, now
    session.add(TicketEvent(ticket_id=ticket_id, kind="return_changed", actor=actor, at=now,
                            details={"return_id": row.id, "state": state}))
    return row


def of_ticket(session: Session, ticket_id: int) -> list[TicketReturn]:
    return list(session.scalars(select(TicketReturn).where(TicketReturn.ticket_id == ticket_id).order_by(TicketReturn.id)))
