"""The shop's purchase log, as other domains (analytics, social, loyalty) read it: one row per paid order."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.models import Customer, Order, OrderLine

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


@dataclass(frozen=True)
class Sales:
    orders: int
    buyers: int                  # distinct customers among those orders
    revenue: dict[str, int]      # currency -> net amount (total less refunds) in minor units


def net_sales(session: Session, *, customer_ids: Iterable[int] | None = None, live_session: str | None = None,
              since: dt.datetime | None = None, until: dt.datetime | None = None) -> Sales:
    """Paid orders (less their refunds) of some customers and/or credited to a live session, placed in [since, until).

    Orders of erased or merged profiles still count: the sale happened (social reports live streams and
    creators' referral results with it).
    """
    stmt = select(Order.customer_id, Order.currency, Order.total_minor - Order.refunded_minor).where(
        Order.status.in_(PURCHASE_STATUSES))
    if customer_ids is not None:
        ids = list(customer_ids)
        if not ids:
            return Sales(0, 0, {})
        stmt = stmt.where(Order.customer_id.in_(ids))
    if live_session is not None:
        stmt = stmt.where(Order.live_session == live_session)
    if since is not None:
        stmt = stmt.where(Order.placed_at >= since)
    if until is not None:
        stmt = stmt.where(Order.placed_at < until)
    orders, buyers, revenue = 0, set(), defaultdict(int)
    for cid, currency, net in session.execute(stmt):
        orders += 1
        buyers.add(cid)
        revenue[currency] += int(net)
    return Sales(orders, len(buyers), dict(sorted(revenue.items())))


# A recall or a safety notice goes to everyone who may hold the product, refunded orders too.
HOLDER_STATUSES = ("paid", "partially_refunded", "refunded")


def buyers_of(session: Session, sku: str, *, since: dt.datetime | None = None,
              until: dt.datetime | None = None) -> list[int]:
    """Live customers with an order line for `sku` placed in [since, until) (a batch sold in that window)."""
    stmt = (select(Order.customer_id).join(OrderLine, OrderLine.order_id == Order.id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(OrderLine.sku == sku, Order.status.in_(HOLDER_STATUSES), Customer.status == "active")
            .distinct().order_by(Order.customer_id))
    if since is not None:
        stmt = stmt.where(Order.placed_at >= since)
    if until is not None:
        stmt = stmt.where(Order.placed_at < until)
    return list(session.scalars(stmt))
