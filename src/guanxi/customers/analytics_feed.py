"""What the analytics domain reads from customers and orders: bulk, column-wise, no personal data.

Analytics never touches the customers tables itself; it calls these functions. Each returns
plain values (lists and tuples) for the numeric work, except ``profile_columns``, which hands
out the few non-personal profile columns that live segments may filter on in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import BigInteger, case, cast, func, select
from sqlalchemy.orm import Session

from guanxi.arrays import aligned
from guanxi.customers import consents
from guanxi.customers.models import Customer, CustomerEvent, Order, OrderLine, Product
from guanxi.customers.profiles import live_customer
from guanxi.customers.purchases import PURCHASE_STATUSES


@dataclass(frozen=True)
class PurchaseRow:
    order_id: int
    customer_id: int
    placed_at: dt.datetime  # UTC
    day: dt.date            # the shop's local day
    amount_minor: int       # kept: total minus refunds
    currency: str


@dataclass(frozen=True)
class LineRow:
    order_id: int
    customer_id: int
    placed_at: dt.datetime
    sku: str
    category: str | None
    quantity: int           # kept: ordered minus refunded


def purchases(session: Session, *, timezone: str, currency: str | None = None) -> Iterator[PurchaseRow]:
    """Every purchase (paid or partly refunded order) of a live customer, by customer then time."""
    tz = ZoneInfo(timezone)
    stmt = (select(Order.id, Order.customer_id, Order.placed_at, Order.total_minor - Order.refunded_minor,
                   Order.currency)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.status.in_(PURCHASE_STATUSES), Customer.status == "active")
            .order_by(Order.customer_id, Order.placed_at, Order.id))
    if currency:
        stmt = stmt.where(Order.currency == currency)
    for oid, cid, placed_at, amount, cur in session.execute(stmt.execution_options(yield_per=10_000)):
        yield PurchaseRow(oid, cid, placed_at, placed_at.astimezone(tz).date(), int(amount), cur)


@dataclass(frozen=True)
class PurchaseLog:
    """``purchases`` as parallel arrays, in no particular order: what the bulk recompute reads."""

    customer_ids: np.ndarray  # int64
    days: np.ndarray          # datetime64[D], the shop's local day
    amount_minor: np.ndarray  # int64, kept: total minus refunds

    def __len__(self) -> int:
        return len(self.customer_ids)


LOG_CHUNK = 500_000


def purchase_log(session: Session, *, timezone: str, currency: str | None = None,
                 live_ids: np.ndarray | None = None) -> PurchaseLog:
    """The rows of ``purchases`` (same orders, same local days) as arrays, read in one pass without
    building a Python object per order: PostgreSQL packs them into byte strings, SQLite sends them through the
    driver's cursor. ``live_ids`` (sorted, from ``live_customer_ids``) saves reading them again."""
    dialect = session.get_bind().dialect.name
    epoch = (cast(func.floor(func.extract("epoch", Order.placed_at)), BigInteger) if dialect == "postgresql"
             else cast(func.strftime("%s", Order.placed_at), BigInteger))
    columns = [cast(Order.customer_id, BigInteger), epoch,
               cast(Order.total_minor - func.coalesce(Order.refunded_minor, 0), BigInteger)]
    if dialect == "postgresql":
        columns.append((Order.id / LOG_CHUNK).label("part"))  # packed a chunk of order ids at a time
    stmt = select(*columns).where(Order.status.in_(PURCHASE_STATUSES))
    if currency:
        stmt = stmt.where(Order.currency == currency)
    raw = session.connection().connection.driver_connection
    compiled = stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    data = _packed_int64(raw, str(compiled), 3) if dialect == "postgresql" else _fetch_int64(raw, str(compiled), 3)
    if live_ids is None:
        live_ids = np.asarray(live_customer_ids(session), dtype=np.int64)
    data = data[np.isin(data[:, 0], live_ids, kind="sort")] if len(data) else data
    return PurchaseLog(data[:, 0].copy(), local_days(data[:, 1], timezone), data[:, 2].copy())


def _fetch_int64(raw, sql: str, width: int) -> np.ndarray:
    """The first ``width`` columns of ``sql``, fetched through the driver's cursor in chunks."""
    cur = raw.cursor()
    try:
        cur.execute(sql)
        parts = []
        while rows := cur.fetchmany(LOG_CHUNK):
            parts.append(np.array(rows, dtype=np.int64))
    finally:
        cur.close()
    return np.concatenate(parts) if parts else np.empty((0, width), dtype=np.int64)


def _packed_int64(raw, sql: str, width: int) -> np.ndarray:
    """The first ``width`` (NOT NULL bigint) columns of ``sql`` packed by PostgreSQL into big-endian byte
    strings (``int8send``), one per value of its last column ``part``, and unpacked by NumPy: no Python
    object per row on either side."""
    names = [f"c{i}" for i in range(width)]
    packed = " || ".join(f"int8send({c})" for c in names)
    query = (f"SELECT string_agg({packed}, ''::bytea) FROM ({sql}) AS log({', '.join(names)}, part) "
             "GROUP BY part")
    with raw.cursor(binary=True) as cur:
        cur.execute(query)
        parts = [np.frombuffer(row[0], dtype=">i8").astype(np.int64) for row in cur if row[0] is not None]
    return np.concatenate(parts).reshape(-1, width) if parts else np.empty((0, width), dtype=np.int64)


def local_days(epoch_seconds: np.ndarray, timezone: str) -> np.ndarray:
    """UTC instants (seconds since 1970) as local days in ``timezone``, daylight saving included:
    each instant is placed between the UTC instants of the local midnights around it."""
    if len(epoch_seconds) == 0:
        return np.empty(0, dtype="datetime64[D]")
    tz = ZoneInfo(timezone)
    first = dt.datetime.fromtimestamp(int(epoch_seconds.min()), tz).date() - dt.timedelta(days=1)
    last = dt.datetime.fromtimestamp(int(epoch_seconds.max()), tz).date() + dt.timedelta(days=1)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    midnights = np.array([dt.datetime.combine(d, dt.time(), tz).timestamp() for d in days], dtype=np.int64)
    index = np.searchsorted(midnights, epoch_seconds, side="right") - 1
    return (np.datetime64(first, "D") + index).astype("datetime64[D]")


def purchase_lines(session: Session, *, customer_id: int | None = None) -> Iterator[LineRow]:
    """The lines of every purchase of live customers (or of one customer), fully refunded lines left out."""
    stmt = (select(Order.id, Order.customer_id, Order.placed_at, OrderLine.sku, OrderLine.category,
                   OrderLine.quantity - OrderLine.refunded_quantity)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.status.in_(PURCHASE_STATUSES), Customer.status == "active",
                   OrderLine.quantity > OrderLine.refunded_quantity)
            .order_by(Order.customer_id, Order.placed_at, Order.id))
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    for row in session.execute(stmt.execution_options(yield_per=10_000)):
        yield LineRow(*row)


def live_customer_ids(session: Session) -> list[int]:
    """Ids of every live (not merged, not erased) customer, with or without orders."""
    return list(session.scalars(select(Customer.id).where(Customer.status == "active").order_by(Customer.id)))


def resolve_customer(session: Session, customer_id: int) -> int:
    """The live customer an id stands for (following merges); NotFound for unknown or erased ids."""
    return live_customer(session, customer_id).id


def allows_personalisation(session: Session, customer_id: int) -> bool:
    """Whether recommendations may use the person's own history: consent to personalisation is
    on record and not withdrawn (no recorded choice counts as no consent)."""
    return consents.allows(session, customer_id, "any", "personalisation")


def out_of_stock(session: Session) -> set[str]:
    """SKUs the shop says it has none of (stock 0); products whose stock is not tracked are available."""
    return set(session.scalars(select(Product.sku).where(Product.stock <= 0)))


def product_catalogue(session: Session) -> dict[str, tuple[str, str | None]]:
    """sku -> (name, category) for every product the shop has told us about."""
    return {sku: (name, cat) for sku, name, cat in session.execute(select(Product.sku, Product.name, Product.category))}


def profile_columns():
    """(selectable, {field: column}) of the non-personal profile columns segments may filter on."""
    table = (select(Customer.id.label("customer_id"), Customer.city, Customer.acquisition_channel.label("channel"),
                    Customer.gender)
             .where(Customer.status == "active").subquery("segment_profiles"))
    return table, {"city": table.c.city, "channel": table.c.channel, "gender": table.c.gender}


@dataclass(frozen=True)
class OrderFactRow:
    customer_id: int
    placed_at: dt.datetime  # the shop's local time
    amount_minor: int       # kept: total minus refunds
    discount_minor: int
    channel: str | None


@dataclass(frozen=True)
class EventRow:
    customer_id: int
    kind: str               # an imported purchase (custom event {"event": "purchase"}) reads as "purchase"
    occurred_at: dt.datetime  # the shop's local time
    channel: str            # the event's "channel" property, else its source


def order_facts(session: Session, *, timezone: str) -> Iterator[OrderFactRow]:
    """Discount and channel of every purchase of live customers (for derived traits)."""
    tz = ZoneInfo(timezone)
    stmt = (select(Order.customer_id, Order.placed_at, Order.total_minor - Order.refunded_minor, Order.discount_minor,
                   Order.channel)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Order.status.in_(PURCHASE_STATUSES), Customer.status == "active")
            .order_by(Order.customer_id, Order.placed_at, Order.id))
    for cid, placed_at, amount, discount, channel in session.execute(stmt.execution_options(yield_per=10_000)):
        yield OrderFactRow(cid, placed_at.astimezone(tz), int(amount), int(discount or 0), channel)


def events(session: Session, *, timezone: str, start: dt.datetime | None = None,
           end: dt.datetime | None = None) -> Iterator[EventRow]:
    """Events of live customers (optionally those in [start, end) UTC), by customer then time."""
    tz = ZoneInfo(timezone)
    stmt = (select(CustomerEvent.customer_id, CustomerEvent.kind, CustomerEvent.occurred_at, CustomerEvent.source,
                   CustomerEvent.properties)
            .join(Customer, Customer.id == CustomerEvent.customer_id)
            .where(Customer.status == "active")
            .order_by(CustomerEvent.customer_id, CustomerEvent.occurred_at, CustomerEvent.id))
    if start is not None:
        stmt = stmt.where(CustomerEvent.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(CustomerEvent.occurred_at < end)
    for cid, kind, at, source, props in session.execute(stmt.execution_options(yield_per=10_000)):
        props = props or {}
        if kind == "custom" and props.get("event") == "purchase":
            kind = "purchase"
        channel = props.get("channel")
        yield EventRow(cid, kind, at.astimezone(tz), str(channel)[:40] if channel else source)


VIEW_KINDS = ("page_view", "product_view")
CART_KINDS = ("add_to_cart", "checkout_started")


def engagement_counts(session: Session, customer_ids, *, as_of: dt.date, timezone: str) -> dict[str, np.ndarray]:
    """Per customer (aligned with ``customer_ids``), events in the last 30 and 90 of the shop's days up to
    and including ``as_of``: page and product views (``views_30d``, ``views_90d``), carts and checkouts
    started (``carts_30d``, ``carts_90d``) and every tracked event but custom ones (``events_90d``; an
    imported purchase is a custom event). Nothing after ``as_of`` is read: the churn model's engagement
    features."""
    tz = ZoneInfo(timezone)
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tz)
    since30, since90 = until - dt.timedelta(days=30), until - dt.timedelta(days=90)
    at, kind = CustomerEvent.occurred_at, CustomerEvent.kind

    def tally(condition):
        return func.sum(case((condition, 1), else_=0))

    names = ("views_30d", "views_90d", "carts_30d", "carts_90d", "events_90d")
    rows = session.execute(select(CustomerEvent.customer_id,
                                  tally(kind.in_(VIEW_KINDS) & (at >= since30)), tally(kind.in_(VIEW_KINDS)),
                                  tally(kind.in_(CART_KINDS) & (at >= since30)), tally(kind.in_(CART_KINDS)),
                                  tally(kind != "custom"))
                           .where(at >= since90, at < until).group_by(CustomerEvent.customer_id)).all()
    counts = aligned(customer_ids, [r[0] for r in rows], [r[1:] for r in rows], columns=len(names))
    return {name: counts[:, i] for i, name in enumerate(names)}
