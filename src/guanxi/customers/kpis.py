"""Shop-wide figures for the dashboard, each one SQL aggregate over customers and orders.

A purchase is an order that is paid or partially refunded; its value is what was kept
(total minus refunds). Money is summed in one currency, the shop's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, literal_column, select
from sqlalchemy.orm import Session

from guanxi.customers.models import Customer, Order
from guanxi.db import utcnow

PURCHASE_STATUSES = ("paid", "partially_refunded")


@dataclass(frozen=True)
class Overview:
    currency: str
    customers: int
    active_members: int          # customers with a purchase in the last 365 days
    repeat_rate: float | None    # of those, the share with two or more purchases
    orders_365: int
    revenue_365_minor: int
    average_order_minor: int | None
    revenue_30_minor: int
    revenue_prev_30_minor: int


@dataclass(frozen=True)
class Month:
    month: str  # "2026-03"
    orders: int
    revenue_minor: int


def _purchases(currency: str, since: dt.datetime, until: dt.datetime):
    return (Order.status.in_(PURCHASE_STATUSES), Order.currency == currency,
            Order.placed_at >= since, Order.placed_at < until)


def _net():
    return Order.total_minor - Order.refunded_minor


def overview(session: Session, currency: str, now: dt.datetime | None = None) -> Overview:
    now = now or utcnow()
    year_ago = now - dt.timedelta(days=365)
    customers = session.scalar(select(func.count()).select_from(Customer).where(Customer.status == "active"))
    per_buyer = (select(Order.customer_id, func.count().label("n"))
                 .where(*_purchases(currency, year_ago, now)).group_by(Order.customer_id).subquery())
    buyers, repeaters = session.execute(
        select(func.count(), func.coalesce(func.sum(case((per_buyer.c.n >= 2, 1), else_=0)), 0))
        .select_from(per_buyer)).one()
    orders, revenue = session.execute(
        select(func.count(), func.coalesce(func.sum(_net()), 0)).where(*_purchases(currency, year_ago, now))).one()
    last_30, prev_30 = session.execute(select(
        func.coalesce(func.sum(case((Order.placed_at >= now - dt.timedelta(days=30), _net()), else_=0)), 0),
        func.coalesce(func.sum(case((Order.placed_at < now - dt.timedelta(days=30), _net()), else_=0)), 0),
    ).where(*_purchases(currency, now - dt.timedelta(days=60), now))).one()
    return Overview(
        currency=currency, customers=int(customers or 0), active_members=int(buyers or 0),
        repeat_rate=(int(repeaters) / buyers) if buyers else None,
        orders_365=int(orders or 0), revenue_365_minor=int(revenue or 0),
        average_order_minor=int(revenue) // int(orders) if orders else None,
        revenue_30_minor=int(last_30 or 0), revenue_prev_30_minor=int(prev_30 or 0),
    )


def _month_key(session: Session, offset_minutes: int):
    """The month of `placed_at` at the shop's UTC offset, as "YYYY-MM", on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        shifted = Order.placed_at + literal_column(f"INTERVAL '{int(offset_minutes)} minutes'")
        return func.to_char(func.timezone("UTC", shifted), "YYYY-MM")
    return func.strftime("%Y-%m", Order.placed_at, f"{int(offset_minutes):+d} minutes")


def _month_starts(now_local: dt.datetime, months: int) -> list[str]:
    year, month = now_local.year, now_local.month
    keys = []
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def monthly(session: Session, currency: str, *, months: int = 12, offset_minutes: int = 480,
            now: dt.datetime | None = None) -> list[Month]:
    """Purchases and kept revenue per calendar month (shop time), oldest first, empty months as zero."""
    now = now or utcnow()
    keys = _month_starts(now + dt.timedelta(minutes=offset_minutes), months)
    first = dt.datetime.strptime(keys[0] + "-01", "%Y-%m-%d").replace(tzinfo=dt.UTC)
    since = first - dt.timedelta(minutes=offset_minutes)
    key = _month_key(session, offset_minutes).label("month")
    rows = session.execute(
        select(key, func.count(), func.coalesce(func.sum(_net()), 0))
        .where(*_purchases(currency, since, now + dt.timedelta(seconds=1))).group_by(key))
    found = {m: (int(n), int(r)) for m, n, r in rows}
    return [Month(k, *found.get(k, (0, 0))) for k in keys]
