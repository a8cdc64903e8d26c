"""Order and refund facts as the loyalty domain reads them (it never reads these tables itself).

Orders come in pages by id; a second pass over the orders changed since the last run catches
an order that was pending when the first pass went by and was paid later. Refunds come by id,
each with the order's refunded total up to and including it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from guanxi.customers.models import Customer, CustomerEvent, Order, OrderLine, Refund, Shipment
from guanxi.customers.shipments import window_closes_at

PAID = ("paid", "partially_refunded")


@dataclass(frozen=True)
class PaidOrder:
    id: int
    customer_id: int
    placed_at: dt.datetime
    updated_at: dt.datetime
    currency: str
    total_minor: int
    discount_minor: int
    shipping_minor: int
    refunded_minor: int
    channel: str | None
    store: str | None
    timezone: str
    first_order: bool
    lines: tuple[tuple[str, int, int, str | None], ...]  # (sku, quantity, unit price, category)


@dataclass(frozen=True)
class RefundFact:
    id: int
    order_id: int
    customer_id: int
    amount_minor: int
    refunded_to_date_minor: int   # this refund and every earlier one of the order
    order_total_minor: int
    created_at: dt.datetime
    # Lines refunded by this refund and the earlier ones, {sku: quantity}, and the order's quantities;
    # None when any of them was a refund by amount (then only the amount share is known).
    lines_to_date: dict[str, int] | None = None
    order_quantities: dict[str, int] | None = None


def paid_orders(session: Session, after_id: int = 0, limit: int = 1000, *, changed_since: dt.datetime | None = None,
                through_id: int | None = None) -> tuple[list[PaidOrder], int | None]:
    """Paid orders of live customers with ids after `after_id`, in id order, and the last id looked at
    (None when there was nothing left: the page may hold fewer orders than were scanned).

    With `changed_since` and `through_id`: the orders up to that id changed since then (a
    pending order paid later, which the pass by id has gone beyond).
    """
    o = Order.__table__.c
    # Orders alone, by primary key: joining customers here lets the planner walk customers and sort.
    stmt = (select(o.id, o.customer_id, o.placed_at, o.updated_at, o.currency, o.total_minor, o.discount_minor,
                   o.shipping_minor, o.refunded_minor, o.channel, o.store)
            .where(o.id > after_id, o.status.in_(PAID)).order_by(o.id).limit(limit))
    if changed_since is not None:
        stmt = stmt.where(o.updated_at >= changed_since, o.id <= through_id)
    rows = session.execute(stmt).all()
    if not rows:
        return [], None
    live = dict(session.execute(select(Customer.id, Customer.timezone).where(
        Customer.id.in_(_inline("cids", {r.customer_id for r in rows})), Customer.status == "active")).all())
    last_id = rows[-1].id
    rows = [r for r in rows if r.customer_id in live]
    if not rows:
        return [], last_id
    ids = [r.id for r in rows]
    lines = defaultdict(list)
    for l in session.execute(select(OrderLine.order_id, OrderLine.sku, OrderLine.quantity, OrderLine.unit_price_minor,
                                    OrderLine.category).where(OrderLine.order_id.in_(_inline("ids", ids)))
                             .order_by(OrderLine.order_id, OrderLine.line_no)):
        lines[l[0]].append((l[1], l[2], l[3], l[4]))
    earlier = aliased(Order)
    firsts = set(session.scalars(
        select(Order.id).where(Order.id.in_(_inline("ids", ids))).where(~select(earlier.id).where(
            earlier.customer_id == Order.customer_id, earlier.status.in_(PAID + ("refunded",)),
            or_(earlier.placed_at < Order.placed_at, and_(earlier.placed_at == Order.placed_at, earlier.id < Order.id))
        ).exists())))
    return [PaidOrder(r.id, r.customer_id, r.placed_at, r.updated_at, r.currency, r.total_minor, r.discount_minor,
                      r.shipping_minor, r.refunded_minor, r.channel, r.store, live[r.customer_id] or "UTC",
                      r.id in firsts,
                      tuple(lines[r.id])) for r in rows], last_id


def _inline(name: str, ids) -> object:
    """A page of integer ids written into the SQL: thousands of bound parameters cost more to send
    (and, with psycopg, to parse) than the query takes to run."""
    return bindparam(name, sorted(int(i) for i in ids), expanding=True, literal_execute=True)


def refunds_after(session: Session, after_id: int, limit: int = 1000) -> list[RefundFact]:
    rows = session.execute(select(Refund, Order.customer_id, Order.total_minor)
                           .join(Order, Order.id == Refund.order_id)
                           .where(Refund.id > after_id).order_by(Refund.id).limit(limit)).all()
    out = []
    for refund, customer_id, total in rows:
        earlier = session.execute(select(Refund.amount_minor, Refund.lines).where(
            Refund.order_id == refund.order_id, Refund.id <= refund.id)).all()
        lines: dict[str, int] | None = {}
        for _amount, refunded_lines in earlier:
            if not refunded_lines:
                lines = None
                break
            for item in refunded_lines:
                lines[item["sku"]] = lines.get(item["sku"], 0) + int(item["quantity"])
        quantities = None
        if lines is not None:
            quantities = {}
            for sku, qty in session.execute(select(OrderLine.sku, OrderLine.quantity)
                                            .where(OrderLine.order_id == refund.order_id)):
                quantities[sku] = quantities.get(sku, 0) + qty
        out.append(RefundFact(refund.id, refund.order_id, customer_id, refund.amount_minor,
                              sum(a for a, _ in earlier), total, refund.created_at, lines, quantities))
    return out


def return_windows_closed(session: Session, order_ids: list[int], now: dt.datetime, days: int) -> set[int]:
    """The orders among `order_ids` whose no-reason return window (from delivery) has closed."""
    if not order_ids:
        return set()
    placed = dict(session.execute(select(Order.id, Order.placed_at).where(Order.id.in_(order_ids))).all())
    deliveries = defaultdict(list)
    for oid, delivered in session.execute(select(Shipment.order_id, Shipment.delivered_at).where(
            Shipment.order_id.in_(order_ids), Shipment.status != "cancelled")):
        deliveries[oid].append(delivered)
    closed = set()
    for oid, placed_at in placed.items():
        closes = window_closes_at(placed_at, deliveries.get(oid, []), days)
        if closes is not None and now >= closes:
            closed.add(oid)
    return closed


def qualifying_spend(session: Session, customer_ids: list[int], since: dt.datetime, until: dt.datetime,
                     *, currency: str | None = None) -> dict[int, tuple[int, int]]:
    """customer id -> (net amount paid less refunds, number of paid orders) placed in [since, until)."""
    stmt = (select(Order.customer_id, func.coalesce(func.sum(Order.total_minor - Order.refunded_minor), 0), func.count())
            .where(Order.customer_id.in_(customer_ids), Order.status.in_(PAID),
                   Order.placed_at >= since, Order.placed_at < until)
            .group_by(Order.customer_id))
    if currency is not None:
        stmt = stmt.where(Order.currency == currency)
    rows = session.execute(stmt)
    return {cid: (int(amount), int(count)) for cid, amount, count in rows}


def net_paid(session: Session, order_ids: list[int]) -> dict[int, int]:
    """order id -> what is still paid (total less refunds; 0 once refunded in full or cancelled)."""
    if not order_ids:
        return {}
    rows = session.execute(select(Order.id, Order.status, Order.total_minor, Order.refunded_minor)
                           .where(Order.id.in_(order_ids))).all()
    return {oid: (total - refunded if status in PAID else 0) for oid, status, total, refunded in rows}


@dataclass(frozen=True)
class EventFact:
    id: int
    customer_id: int
    kind: str
    occurred_at: dt.datetime
    properties: dict


def events_after(session: Session, after_id: int, limit: int = 500, *, kinds: tuple[str, ...]) -> list[EventFact]:
    """Customer events of these kinds with ids after `after_id`, in id order (the loyalty event feed)."""
    rows = session.execute(select(CustomerEvent.id, CustomerEvent.customer_id, CustomerEvent.kind,
                                  CustomerEvent.occurred_at, CustomerEvent.properties)
                           .where(CustomerEvent.id > after_id, CustomerEvent.kind.in_(kinds),
                                  CustomerEvent.customer_id.is_not(None))
                           .order_by(CustomerEvent.id).limit(limit)).all()
    return [EventFact(*r) for r in rows]


def timezones(session: Session, customer_ids: list[int]) -> dict[int, str]:
    return dict(session.execute(select(Customer.id, Customer.timezone).where(Customer.id.in_(customer_ids))).all())


# -- referral guards --------------------------------------------------------------------------

def same_person(session: Session, a: int, b: int) -> bool:
    """True when the two profiles are (now) one person: the same id, or merged into the same profile."""
    from guanxi.customers.profiles import live_customer

    return live_customer(session, a).id == live_customer(session, b).id


def shared_address(session: Session, a: int, b: int) -> bool:
    rows = dict(session.execute(select(Customer.id, Customer.address_hash).where(Customer.id.in_((a, b)))).all())
    return rows.get(a) is not None and rows.get(a) == rows.get(b)


def first_paid_order(session: Session, customer_id: int) -> tuple[int, dt.datetime, bool] | None:
    """(order id, placed at, fully refunded) of the customer's first paid order, or None."""
    row = session.execute(select(Order.id, Order.placed_at, Order.status).where(
        Order.customer_id == customer_id, Order.status.in_(PAID + ("refunded",)))
        .order_by(Order.placed_at, Order.id).limit(1)).first()
    return None if row is None else (row.id, row.placed_at, row.status == "refunded")
