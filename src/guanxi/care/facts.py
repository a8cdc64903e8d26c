"""What care reads about customers to choose an audience: read-only, and the only module that does.

The customers domain offers no bulk queries for these yet (birthdays by time zone, first and
last orders, deliveries in a window); they live here, read-only, until it does, so moving
them is one file. Care never writes a customers table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from guanxi.customers import shipments
from guanxi.customers.models import Consent, Customer, Identity, Order, Shipment

LIVE = Customer.status == "active"
PAID = ("paid", "partially_refunded")


def timezones(session: Session) -> list[str]:
    return [tz for tz in session.scalars(select(Customer.timezone).where(LIVE).distinct()) if tz]


def birthdays_in(session: Session, timezone: str, md_hashes: list[str]) -> list[tuple[int, str | None]]:
    """(customer id, encrypted birthday) of live customers in a zone whose month-day index matches."""
    return list(session.execute(select(Customer.id, Customer.birthday_enc).where(
        LIVE, Customer.timezone == timezone, Customer.birthday_md_hash.in_(md_hashes))).all())


def customers_in(session: Session, timezone: str) -> Iterator[int]:
    yield from session.scalars(select(Customer.id).where(LIVE, Customer.timezone == timezone)
                               .order_by(Customer.id).execution_options(yield_per=5000))


def matching(session: Session, *, ids: Iterable[int] | None = None, tags: list[str] | None = None,
             city: str | None = None, acquisition_channel: str | None = None) -> list[tuple[int, str]]:
    """(id, timezone) of live customers for a list or a simple filter."""
    stmt = select(Customer.id, Customer.timezone, Customer.tags).where(LIVE).order_by(Customer.id)
    if ids is not None:
        stmt = stmt.where(Customer.id.in_(list(ids)))
    if city:
        stmt = stmt.where(Customer.city == city)
    if acquisition_channel:
        stmt = stmt.where(Customer.acquisition_channel == acquisition_channel)
    out = []
    for cid, tz, have in session.execute(stmt):
        if tags and not set(tags) <= set(have or []):
            continue
        out.append((cid, tz))
    return out


def deliveries_between(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple]:
    """(shipment id, order id, order external id, customer id, timezone, delivered_at)."""
    return list(session.execute(
        select(Shipment.id, Order.id, Order.external_id, Customer.id, Customer.timezone, Shipment.delivered_at)
        .join(Order, Order.id == Shipment.order_id).join(Customer, Customer.id == Order.customer_id)
        .where(LIVE, Shipment.status == "delivered", Shipment.delivered_at >= since, Shipment.delivered_at < until)
    ).all())


def first_orders_between(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple]:
    """(customer id, timezone, first order's placed_at) for customers whose first paid order is in the window."""
    first = func.min(Order.placed_at)
    return list(session.execute(
        select(Customer.id, Customer.timezone, first).join(Order, Order.customer_id == Customer.id)
        .where(LIVE, Order.status.in_(PAID)).group_by(Customer.id, Customer.timezone)
        .having(first >= since).having(first < until)).all())


def last_orders_between(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple]:
    """(customer id, timezone, last order's placed_at) for customers whose latest paid order is in the window."""
    last = func.max(Order.placed_at)
    return list(session.execute(
        select(Customer.id, Customer.timezone, last).join(Order, Order.customer_id == Customer.id)
        .where(LIVE, Order.status.in_(PAID)).group_by(Customer.id, Customer.timezone)
        .having(last >= since).having(last < until)).all())


def stuck(session: Session) -> list[tuple]:
    """(shipment id, order id, order external id, customer id, timezone) of parcels flagged as stuck."""
    found = shipments.stuck_shipments(session)
    if not found:
        return []
    orders = {oid: (ext, cid, tz) for oid, ext, cid, tz in session.execute(
        select(Order.id, Order.external_id, Customer.id, Customer.timezone)
        .join(Customer, Customer.id == Order.customer_id).where(LIVE, Order.id.in_([s.order_id for s in found])))}
    return [(s.id, s.order_id, *orders[s.order_id]) for s in found if s.order_id in orders]


def purchases_after(session: Session, starts: dict[int, dt.datetime], days: int) -> dict[int, tuple[int, int]]:
    """customer id -> (orders, net revenue) placed within `days` after that customer's start time."""
    out: dict[int, tuple[int, int]] = {}
    ids = list(starts)
    for i in range(0, len(ids), 1000):
        part = ids[i:i + 1000]
        rows = session.execute(select(Order.customer_id, Order.placed_at, Order.total_minor - Order.refunded_minor)
                               .where(Order.customer_id.in_(part), Order.status.in_(PAID)))
        for cid, placed_at, amount in rows:
            start = starts[cid]
            if start <= placed_at < start + dt.timedelta(days=days):
                n, revenue = out.get(cid, (0, 0))
                out[cid] = (n + 1, revenue + int(amount))
    return out


# Batch reads for queueing and draining: one query per few thousand customers instead of a few per customer.
IN_CHUNK = 2000  # well under SQLite's bound-parameter limit


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), IN_CHUNK):
        yield ids[i:i + IN_CHUNK]


def live_customers(session: Session, ids: Iterable[int]) -> dict[int, Customer]:
    """id -> the live customer as `profiles.live_customer` resolves it (merges followed); erased ones absent."""
    rows: dict[int, Customer] = {}
    wanted = set(ids)
    while wanted:  # each round loads the customers the previous round was merged into
        for chunk in _chunks(wanted):
            rows.update((c.id, c) for c in session.scalars(select(Customer).where(Customer.id.in_(chunk))))
        wanted = {c.merged_into_id for c in rows.values() if c.status == "merged" and c.merged_into_id
                  and c.merged_into_id not in rows}
    out = {}
    for cid in set(ids):
        c, hops = rows.get(cid), 0
        while c is not None and c.status == "merged" and c.merged_into_id and hops < 50:
            c, hops = rows.get(c.merged_into_id), hops + 1
        if c is not None and c.status != "erased":
            out[cid] = c
    return out


def consent_states(session: Session, ids: Iterable[int]) -> dict[int, dict[tuple[str, str], Row]]:
    """customer id -> {(channel, purpose): the row in force (.granted, .notice_version)}, as `consents.current`
    gives it for one customer; plain rows, as loading thousands of ORM objects costs more than the query."""
    states: dict[int, dict[tuple[str, str], Row]] = {}
    for chunk in _chunks(ids):
        for row in session.execute(select(Consent.customer_id, Consent.channel, Consent.purpose, Consent.granted,
                                          Consent.notice_version).where(Consent.customer_id.in_(chunk))
                                   .order_by(Consent.customer_id, Consent.at, Consent.id)):
            states.setdefault(row.customer_id, {})[(row.channel, row.purpose)] = row
    return states


def identities(session: Session, ids: Iterable[int]) -> dict[int, list[Row]]:
    """customer id -> identities (.kind, .value_enc, still encrypted), in `profiles.identities_of`'s order."""
    out: dict[int, list[Row]] = {}
    for chunk in _chunks(ids):
        for row in session.execute(select(Identity.customer_id, Identity.kind, Identity.value_enc)
                                   .where(Identity.customer_id.in_(chunk)).order_by(Identity.customer_id, Identity.id)):
            out.setdefault(row.customer_id, []).append(row)
    return out
