"""What the newer triggers read about customers: read-only, beside facts.py and in its spirit
(bulk queries the customers domain does not offer yet; care never writes a customers table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.care.facts import LIVE, PAID
from guanxi.customers.models import Customer, CustomerEvent, Order

CART_KINDS = ("add_to_cart", "checkout_started")


def zones_of(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """id -> time zone of the live customers among `ids`."""
    ids = sorted(set(ids))
    out: dict[int, str] = {}
    for i in range(0, len(ids), 1000):
        out.update(session.execute(select(Customer.id, Customer.timezone)
                                   .where(LIVE, Customer.id.in_(ids[i:i + 1000]))).all())
    return out


def last_cart_events(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple[int, int, str, dt.datetime]]:
    """(event id, customer id, timezone, occurred_at) of each live customer's latest cart event, when that
    latest one falls in [since, until) (a later cart event means the customer is still shopping)."""
    latest = (select(CustomerEvent.customer_id, func.max(CustomerEvent.occurred_at).label("at"))
              .where(CustomerEvent.kind.in_(CART_KINDS)).group_by(CustomerEvent.customer_id).subquery())
    rows = session.execute(
        select(CustomerEvent.id, Customer.id, Customer.timezone, CustomerEvent.occurred_at)
        .join(latest, (latest.c.customer_id == CustomerEvent.customer_id) & (latest.c.at == CustomerEvent.occurred_at))
        .join(Customer, Customer.id == CustomerEvent.customer_id)
        .where(LIVE, CustomerEvent.kind.in_(CART_KINDS), latest.c.at >= since, latest.c.at < until)
        .order_by(CustomerEvent.id)).all()
    seen, out = set(), []
    for eid, cid, tz, at in reversed(rows):  # two events at the same instant: the later id stands
        if cid not in seen:
            seen.add(cid)
            out.append((eid, cid, tz, at))
    return sorted(out)


def ordered_since(session: Session, starts: dict[int, dt.datetime]) -> set[int]:
    """Customers among `starts` with an order (paid or pending checkout) placed at or after their start."""
    out = set()
    ids = list(starts)
    for i in range(0, len(ids), 1000):
        for cid, placed_at in session.execute(select(Order.customer_id, Order.placed_at).where(
                Order.customer_id.in_(ids[i:i + 1000]), Order.status.in_((*PAID, "pending")))):
            if placed_at >= starts[cid]:
                out.add(cid)
    return out


def first_orders(session: Session) -> list[tuple[int, str, dt.datetime]]:
    """(customer id, timezone, first paid order's placed_at) of every live customer who bought."""
    return list(session.execute(select(Customer.id, Customer.timezone, func.min(Order.placed_at))
                                .join(Order, Order.customer_id == Customer.id)
                                .where(LIVE, Order.status.in_(PAID)).group_by(Customer.id, Customer.timezone)).all())


def signups(session: Session) -> list[tuple[int, str, dt.datetime]]:
    """(customer id, timezone, acquired_at or else created_at) of every live customer."""
    return list(session.execute(select(Customer.id, Customer.timezone,
                                       func.coalesce(Customer.acquired_at, Customer.created_at)).where(LIVE)).all())


def attribute_dates(session: Session, name: str) -> list[tuple[int, str, str]]:
    """(customer id, timezone, raw value) of live customers with profile attribute `name` set."""
    out = []
    for cid, tz, attrs in session.execute(select(Customer.id, Customer.timezone, Customer.attributes).where(LIVE)
                                          .execution_options(yield_per=5000)):
        value = (attrs or {}).get(name)
        if isinstance(value, str) and value:
            out.append((cid, tz, value))
    return out
