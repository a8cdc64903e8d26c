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

from sqlalchemy import select
from sqlalchemy.orm import Session

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
