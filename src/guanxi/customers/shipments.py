"""Shipments: upserted by (order, external id) from fulfilment webhooks, imports or the API.

A shipment's updates can arrive late or out of order; an update older than the last movement
does not move its status back. Return windows count from delivery (七天无理由退货), and a
shipment that has not moved for a while is flagged so care and service can act first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, object_session

from guanxi.customers.hooks import timeline
from guanxi.customers.models import Order, Shipment
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Invalid, NotFound

SHIPMENT_STATUSES = ("in_transit", "delivered", "returned", "lost", "failed", "cancelled")
# Statuses after which a parcel no longer moves: never flagged as stuck.
SETTLED = ("delivered", "returned", "lost", "cancelled")


@dataclass
class ShipmentIn:
    external_id: str
    status: str = "in_transit"
    carrier: str | None = None
    tracking_number: str | None = None
    lines: list[dict] = field(default_factory=list)  # [{"sku": ..., "quantity": n}]
    shipped_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    at: dt.datetime | None = None  # when this update happened at the carrier; default: now


def record_shipment(session: Session, order_id: int, s: ShipmentIn, *,
                    now: dt.datetime | None = None) -> tuple[Shipment, bool]:
    """Create or update the order's shipment `s.external_id`; returns (shipment, created)."""
    if s.status not in SHIPMENT_STATUSES:
        raise Invalid(f"unknown shipment status {s.status!r}; use one of {', '.join(SHIPMENT_STATUSES)}",
                      errors=[{"loc": ["body", "status"], "msg": "unknown status"}])
    if session.get(Order, order_id) is None:
        raise NotFound(f"no order {order_id}")
    now = now or utcnow()
    at = s.at or s.delivered_at or now
    row = {"order_id": order_id, "external_id": s.external_id, "carrier": s.carrier,
           "tracking_number": s.tracking_number, "lines": s.lines, "status": s.status,
           "shipped_at": s.shipped_at or at, "delivered_at": None, "last_movement_at": at, "stuck_since": None}
    if s.status == "delivered":
        row["delivered_at"] = s.delivered_at or at
    stmt = insert_ignoring_conflicts(session, Shipment, ["order_id", "external_id"]).returning(Shipment.id)
    new_id = session.scalar(stmt, row)
    if new_id is not None:
        return session.get(Shipment, new_id), True

    shipment = session.scalar(select(Shipment).where(Shipment.order_id == order_id,
                                                     Shipment.external_id == s.external_id).with_for_update())
    # Carrier and tracking details are facts whenever they arrive; the status follows time.
    shipment.carrier = s.carrier or shipment.carrier
    shipment.tracking_number = s.tracking_number or shipment.tracking_number
    shipment.lines = s.lines or shipment.lines
    if s.shipped_at and (shipment.shipped_at is None or s.shipped_at < shipment.shipped_at):
        shipment.shipped_at = s.shipped_at
    if shipment.last_movement_at is None or at >= shipment.last_movement_at:
        shipment.last_movement_at = at
        shipment.status = s.status
        shipment.stuck_since = None
    if s.status == "delivered" and shipment.delivered_at is None:
        shipment.delivered_at = s.delivered_at or at
    session.flush()
    return shipment, False


def flag_stuck(session: Session, now: dt.datetime, days: int) -> list[int]:
    """Flag parcels in transit that have not moved for `days`; returns the newly flagged ids.

    stuck_since is the moment the parcel crossed the threshold, so a late or repeated run
    flags the same parcels with the same value.
    """
    cutoff = now - dt.timedelta(days=days)
    moved = func.coalesce(Shipment.last_movement_at, Shipment.shipped_at)
    rows = session.execute(select(Shipment.id, moved).where(
        Shipment.status.not_in(SETTLED), Shipment.stuck_since.is_(None), moved.is_not(None), moved < cutoff))
    flagged = []
    for sid, last in rows.all():
        session.execute(update(Shipment).where(Shipment.id == sid, Shipment.stuck_since.is_(None))
                        .values(stuck_since=last + dt.timedelta(days=days)))
        flagged.append(sid)
    return flagged


def stuck_shipments(session: Session, limit: int = 500) -> list[Shipment]:
    """Parcels flagged as stuck and still not settled, oldest first: the work list for care and service."""
    return list(session.scalars(select(Shipment).where(Shipment.stuck_since.is_not(None),
                                                       Shipment.status.not_in(SETTLED))
                                .order_by(Shipment.stuck_since).limit(limit)))


def window_closes_at(placed_at: dt.datetime, deliveries: Sequence[dt.datetime | None],
                     days: int = 7) -> dt.datetime | None:
    """When the no-reason return window closes: `days` after the last parcel arrived.

    None while a parcel is still on its way (the window has not started). An order with no
    shipment at all (a shop that sends no fulfilment data, or a digital good) counts from
    its order date, the best that is known.
    """
    if not deliveries:
        return placed_at + dt.timedelta(days=days)
    if any(d is None for d in deliveries):
        return None
    return max(deliveries) + dt.timedelta(days=days)


def return_window_open(order: Order, now: dt.datetime, days: int = 7) -> bool:
    """True while the order may still be returned without reason, counting from delivery, not payment."""
    session = object_session(order)
    if session is None:
        raise ValueError("return_window_open needs an order loaded from a session")
    deliveries = list(session.scalars(select(Shipment.delivered_at).where(
        Shipment.order_id == order.id, Shipment.status != "cancelled")))
    closes = window_closes_at(order.placed_at, deliveries, days)
    return closes is None or now < closes


@timeline("shipments")
def shipments_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    rows = session.execute(
        select(Shipment, Order.external_id).join(Order, Order.id == Shipment.order_id)
        .where(Order.customer_id == customer_id)
        .order_by(func.coalesce(Shipment.last_movement_at, Shipment.shipped_at).desc()).limit(limit))
    out = []
    for s, order_ext in rows:
        at = s.stuck_since or s.delivered_at or s.last_movement_at or s.shipped_at
        if at is None:
            continue
        state = "stuck" if s.stuck_since and s.status not in SETTLED else s.status.replace("_", " ")
        out.append({"at": at, "kind": "shipment", "summary": f"order {order_ext}: parcel {state}",
                    "order_id": s.order_id, "shipment_id": s.id, "carrier": s.carrier})
    return out

