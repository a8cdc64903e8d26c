"""The customers domain's own entries in the timeline: orders, refunds and events."""

from __future__ import annotations

from sqlalchemy import select

from guanxi.customers.hooks import timeline
from guanxi.customers.models import CustomerEvent, Order, Refund


@timeline("orders")
def orders_timeline(session, customer_id: int, limit: int) -> list[dict]:
    rows = session.scalars(select(Order).where(Order.customer_id == customer_id)
                           .order_by(Order.placed_at.desc()).limit(limit))
    out = [{"at": o.placed_at, "kind": "order", "summary": f"order {o.external_id} ({o.source}) {o.status}",
            "amount_minor": o.total_minor, "currency": o.currency, "order_id": o.id} for o in rows]
    refund_rows = session.execute(
        select(Refund, Order.currency).join(Order, Order.id == Refund.order_id)
        .where(Order.customer_id == customer_id).order_by(Refund.created_at.desc()).limit(limit))
    out += [{"at": r.created_at, "kind": "refund", "summary": f"refund {r.external_id}",
             "amount_minor": r.amount_minor, "currency": cur, "order_id": r.order_id} for r, cur in refund_rows]
    return out


@timeline("events")
def events_timeline(session, customer_id: int, limit: int) -> list[dict]:
    rows = session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id)
                           .order_by(CustomerEvent.occurred_at.desc()).limit(limit))
    return [{"at": e.occurred_at, "kind": e.kind, "summary": e.kind.replace("_", " "), "source": e.source}
            for e in rows]
