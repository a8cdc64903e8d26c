"""Orders in bulk: one code path for the API (one or a batch), webhooks and imports.

Idempotent on (source, external_id): a known order is not inserted again, and a new status
updates it. Statements are Core bulk inserts, so a batch of 1,000 orders costs a handful of
round trips, not thousands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from guanxi.customers.hooks import customers_changed
from guanxi.customers.identity import chunks, resolve_people
from guanxi.customers.models import Order, OrderLine, Product
from guanxi.customers.records import OrderIn, OrderResult
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.privacy.crypto import PiiCipher

ORDER_STATUSES = ("pending", "paid", "cancelled", "refunded", "partially_refunded")
# Statements name the Core tables, not the ORM classes: the same SQL and rows, without the ORM's
# bulk-insert bookkeeping, which cost about a quarter of the CPU of a one-order delivery.
ORDERS, LINES, PRODUCTS = Order.__table__, OrderLine.__table__, Product.__table__


def existing_orders(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(source, external_id) -> (order id, customer id, status) for the keys already stored."""
    by_source: dict[str, list[str]] = {}
    for source, ext in keys:
        by_source.setdefault(source, []).append(ext)
    found = {}
    for source, exts in by_source.items():
        for part in chunks(list(dict.fromkeys(exts))):
            rows = session.execute(
                select(ORDERS.c.external_id, ORDERS.c.id, ORDERS.c.customer_id, ORDERS.c.status)
                .where(ORDERS.c.source == source, ORDERS.c.external_id.in_(part))
            )
            for ext, oid, cid, status in rows:
                found[(source, ext)] = (oid, cid, status)
    return found


def ingest_orders(session: Session, cipher: PiiCipher, orders: Sequence[OrderIn], *,
                  now: dt.datetime | None = None) -> list[OrderResult]:
    now = now or utcnow()
    keys = [(o.source, o.external_id) for o in orders]
    known = existing_orders(session, keys)

    # Last status wins for an order named twice in one delivery.
    fresh: dict[tuple[str, str], int] = {}
    for i, o in enumerate(orders):
        if keys[i] not in known:
            fresh.setdefault(keys[i], i)
    people_idx = list(fresh.values())
    customers = resolve_people(session, cipher, [orders[i].person for i in people_idx], now=now)
    customer_of = {keys[i]: cid for i, (cid, _) in zip(people_idx, customers, strict=True)}

    _ensure_products(session, [line for i in people_idx for line in orders[i].lines], orders)
    inserted = _insert_orders(session, [orders[i] for i in people_idx], customer_of, now)
    raced = [k for k in fresh if k not in inserted]
    if raced:  # inserted by a concurrent delivery between our check and our insert
        known.update(existing_orders(session, raced))
    _insert_lines(session, [(inserted[k], orders[i]) for k, i in fresh.items() if k in inserted])

    results = []
    status_updates: dict[int, str] = {}
    for i, o in enumerate(orders):
        k = keys[i]
        if k in inserted and fresh[k] == i:
            results.append(OrderResult(inserted[k], customer_of[k], True))
            continue
        oid, cid, status = known[k] if k in known else (inserted[k], customer_of[k], orders[fresh[k]].status)
        if o.status != status:
            status_updates[oid] = o.status
        results.append(OrderResult(oid, cid, False))
    for oid, status in status_updates.items():
        session.execute(update(Order).where(Order.id == oid).values(status=status, updated_at=now))
    customers_changed(session, [r.customer_id for r in results if r.created or r.id in status_updates])
    return results


def _insert_orders(session: Session, orders: list[OrderIn], customer_of: dict, now: dt.datetime) -> dict:
    rows = [{
        "source": o.source, "external_id": o.external_id, "customer_id": customer_of[(o.source, o.external_id)],
        "placed_at": o.placed_at, "status": o.status, "currency": o.currency, "total_minor": o.total_minor,
        "discount_minor": o.discount_minor, "shipping_minor": o.shipping_minor, "refunded_minor": 0,
        "channel": o.channel, "store": o.store, "live_session": o.live_session,
        "created_at": now, "updated_at": now,
    } for o in orders]
    inserted: dict[tuple[str, str], int] = {}
    for part in chunks(rows, 500):
        stmt = insert_ignoring_conflicts(session, ORDERS, ["source", "external_id"]).returning(
            ORDERS.c.id, ORDERS.c.source, ORDERS.c.external_id)
        for oid, source, ext in session.execute(stmt, list(part)):
            inserted[(source, ext)] = oid
    return inserted


def _insert_lines(session: Session, pairs: list[tuple[int, OrderIn]]) -> None:
    rows = [{"order_id": oid, "line_no": n, "sku": line.sku, "name": line.name, "category": line.category,
             "quantity": line.quantity, "unit_price_minor": line.unit_price_minor, "refunded_quantity": 0}
            for oid, o in pairs for n, line in enumerate(o.lines, start=1)]
    for part in chunks(rows, 1000):
        session.execute(insert(LINES), list(part))


def _ensure_products(session: Session, lines, orders) -> None:
    """Products named by order lines are created on first sight (the catalogue can be imported later)."""
    by_sku = {}
    currency = orders[0].currency if orders else None
    for line in lines:
        by_sku.setdefault(line.sku, {"sku": line.sku, "name": line.name, "category": line.category,
                                     "price_minor": line.unit_price_minor, "currency": currency,
                                     "returnable": True, "warranty_months": 0})
    if not by_sku:
        return
    known = set()
    for part in chunks(list(by_sku)):
        known.update(session.scalars(select(PRODUCTS.c.sku).where(PRODUCTS.c.sku.in_(part))))
    missing = [row for sku, row in by_sku.items() if sku not in known]
    for part in chunks(missing, 500):
        session.execute(insert_ignoring_conflicts(session, PRODUCTS, ["sku"]), list(part))
