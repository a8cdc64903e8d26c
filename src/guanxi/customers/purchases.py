"""The shop's purchase log, as other domains (analytics) read it: one row per paid order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.models import Customer, Order

PURCHASE_STATUSES = ("paid", "partially_refunded")


def purchase_log(session: Session, *, timezone: str, currency: str | None = None
                 ) -> Iterator[tuple[int, dt.date, int, str]]:
    """(customer id, local date of purchase, net amount in minor units, currency) for live customers.

    Dates are in the shop's time zone, so "same day" means the shop's day.
    """
    tz = ZoneInfo(timezone)
    stmt = (select(Order.customer_id, Order.placed_at, Order.total_minor - Order.refunded_minor, Order.currency)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.status.in_(PURCHASE_STATUSES), Customer.status == "active")
            .order_by(Order.customer_id, Order.placed_at))
    if currency:
        stmt = stmt.where(Order.currency == currency)
    for cid, placed_at, amount, cur in session.execute(stmt.execution_options(yield_per=10_000)):
        yield cid, placed_at.astimezone(tz).date(), int(amount), cur
