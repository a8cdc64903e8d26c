"""Refunds by amount or by lines, idempotent on the refund's external id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.models import Order, OrderLine, Refund
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound


@dataclass
class RefundLineIn:
    sku: str
    quantity: int


def refund_order(session: Session, order_id: int, external_id: str, *, amount_minor: int | None = None,
                 lines: list[RefundLineIn] | None = None) -> tuple[Refund, bool]:
    """Record a refund; returns (refund, created). Refusing more than was paid, nothing is written."""
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        raise NotFound(f"no order {order_id}")
    seen = session.scalar(select(Refund).where(Refund.order_id == order_id, Refund.external_id == external_id))
    if seen is not None:
        return seen, False
    if (amount_minor is None) == (lines is None):
        raise Invalid("give either amount_minor or lines, not both")
    refunded_lines = []
    if lines is not None:
        order_lines = {l.sku: l for l in session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))}
        amount_minor = 0
        for i, item in enumerate(lines):
            line = order_lines.get(item.sku)
            if line is None:
                raise Invalid(f"the order has no line with sku {item.sku!r}",
                              errors=[{"loc": ["body", "lines", i, "sku"], "msg": "not in this order"}])
            left = line.quantity - line.refunded_quantity
            if item.quantity > left:
                raise Invalid(f"cannot refund {item.quantity} of {item.sku!r}: only {left} left to refund",
                              errors=[{"loc": ["body", "lines", i, "quantity"], "msg": f"at most {left}"}])
            line.refunded_quantity += item.quantity
            amount_minor += item.quantity * line.unit_price_minor
            refunded_lines.append({"sku": item.sku, "quantity": item.quantity})
    left = order.total_minor - order.refunded_minor
    if amount_minor > left:
        raise Invalid(f"the refund of {amount_minor} exceeds what is left to refund on this order ({left} "
                      f"{order.currency})", errors=[{"loc": ["body", "amount_minor"], "msg": f"at most {left}"}])
    refund = Refund(order_id=order_id, external_id=external_id, amount_minor=amount_minor, lines=refunded_lines,
                    created_at=utcnow())
    session.add(refund)
    order.refunded_minor += amount_minor
    order.status = "refunded" if order.refunded_minor >= order.total_minor else "partially_refunded"
    order.updated_at = utcnow()
    session.flush()
    return refund, True
