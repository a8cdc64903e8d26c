"""Writing one batch of parsed rows: Core bulk statements, a handful of round trips per batch.

Re-running the same batch changes nothing: people are found by their identities, orders by
(source, external id), profile fields are only written when they differ, a consent only when
its state changes, and a refund only for what is not refunded yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields

from sqlalchemy import case, func, insert, select, text, update
from sqlalchemy.orm import Session

from guanxi.customers import refunds
from guanxi.customers.identity import chunks, identity_hash, owners_of, profile_columns, resolve_people
from guanxi.customers.importing.parsed import CustomerItem, OrderItem
from guanxi.customers.ingest import existing_orders, ingest_orders
from guanxi.customers.models import Consent, Customer, Identity, Order, OrderLine, Product
from guanxi.privacy.crypto import PiiCipher

ENCRYPTED = {"name": "name_enc", "birthday": "birthday_enc", "address": "address_enc"}


@dataclass
class Counts:
    customers_created: int = 0
    customers_known: int = 0     # named by the file and already there
    customers_updated: int = 0   # of those, profiles the file changed
    consents_recorded: int = 0
    orders_created: int = 0
    orders_known: int = 0
    order_lines: int = 0
    refunds_recorded: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def store_customers(session: Session, cipher: PiiCipher, items: Sequence[CustomerItem], *, now: dt.datetime,
                    defaults: dict) -> Counts:
    resolved = resolve_people(session, cipher, [it.person for it in items], now=now, defaults=defaults)
    created = {cid for cid, new in resolved if new}
    wanted: dict[int, list[dict]] = {}
    for it, (cid, _) in zip(items, resolved, strict=True):
        wanted.setdefault(cid, []).append(it.person.given())
    # A new profile already holds its first row; only later rows or known customers need a look.
    to_check = {cid: rows for cid, rows in wanted.items() if cid not in created or len(rows) > 1}
    updated = _update_profiles(session, cipher, to_check, now)
    counts = Counts(customers_created=len(created), customers_known=len(wanted) - len(created),
                    customers_updated=updated)
    consent_wanted = {}
    for it, (cid, _) in zip(items, resolved, strict=True):
        for channel, purpose, granted in it.consents:
            consent_wanted[(cid, channel, purpose)] = granted
    counts.consents_recorded = _record_consents(session, consent_wanted, now)
    return counts


def _merged(rows: list[dict]) -> dict:
    """One customer's rows in file order: later values win, tags and attributes add up."""
    out: dict = {}
    for fields_ in rows:
        for name, value in fields_.items():
            if name == "tags":
                out["tags"] = [*out.get("tags", []), *value]
            elif name in ("attributes", "preferences"):
                out[name] = {**out.get(name, {}), **value}
            else:
                out[name] = value
    return out


def _update_profiles(session: Session, cipher: PiiCipher, wanted: dict[int, list[dict]], now: dt.datetime) -> int:
    if not wanted:
        return 0
    cols = [Customer.id, Customer.status, *(getattr(Customer, c) for c in ENCRYPTED.values()),
            *(getattr(Customer, c) for c in ("gender", "region", "city", "locale", "timezone", "acquisition_channel",
                                             "acquired_at", "tags", "attributes", "preferences"))]
    changes = []
    for part in chunks(list(wanted)):
        for row in session.execute(select(*cols).where(Customer.id.in_(part))).mappings():
            if row["status"] != "active":
                continue
            diff = _differences(cipher, row, _merged(wanted[row["id"]]))
            if diff:
                changes.append({"id": row["id"], **profile_columns(cipher, diff), "updated_at": now})
    # Executed per shape of change: the ORM's bulk UPDATE by primary key wants like rows together.
    by_shape: dict[tuple, list[dict]] = {}
    for change in changes:
        by_shape.setdefault(tuple(sorted(change)), []).append(change)
    for rows in by_shape.values():
        session.execute(update(Customer), rows)
    return len(changes)


def _differences(cipher: PiiCipher, stored, given: dict) -> dict:
    diff = {}
    for name, value in given.items():
        if name in ENCRYPTED:
            if cipher.decrypt(stored[ENCRYPTED[name]], context=name) != value:
                diff[name] = value
        elif name == "tags":
            union = sorted(set(stored["tags"] or []) | set(value))
            if union != sorted(set(stored["tags"] or [])):
                diff["tags"] = union
        elif name in ("attributes", "preferences"):
            merged = {**(stored[name] or {}), **value}
            if merged != (stored[name] or {}):
                diff[name] = merged
        elif stored[name] != value:
            diff[name] = value
    return diff


def _record_consents(session: Session, wanted: dict[tuple[int, str, str], bool], now: dt.datetime) -> int:
    """A consent row where the state in force differs from the file's (none yet counts as different)."""
    if not wanted:
        return 0
    current: dict[tuple[int, str, str], bool] = {}
    for part in chunks(sorted({cid for cid, _, _ in wanted})):
        rows = session.execute(select(Consent.customer_id, Consent.channel, Consent.purpose, Consent.granted)
                               .where(Consent.customer_id.in_(part)).order_by(Consent.at, Consent.id))
        for cid, channel, purpose, granted in rows:
            current[(cid, channel, purpose)] = granted
    rows = [{"customer_id": cid, "channel": channel, "purpose": purpose, "granted": granted, "at": now,
             "source": "import", "notice_version": None}
            for (cid, channel, purpose), granted in wanted.items() if current.get((cid, channel, purpose)) != granted]
    for part in chunks(rows, 500):
        session.execute(insert(Consent), list(part))
    return len(rows)


def store_orders(session: Session, cipher: PiiCipher, items: Sequence[OrderItem], *, now: dt.datetime) -> Counts:
    records = [it.order for it in items]
    newest_customer = session.scalar(select(func.max(Customer.id))) or 0
    results = ingest_orders(session, cipher, records, now=now)
    _keep_refunded([r.id for r, o in zip(results, records, strict=True)
                    if not r.created and o.status in ("pending", "paid")], session)
    counts = Counts(orders_created=sum(r.created for r in results),
                    orders_known=sum(not r.created for r in results),
                    order_lines=sum(len(it.order.lines) for it, r in zip(items, results, strict=True) if r.created),
                    customers_created=len({r.customer_id for r in results if r.customer_id > newest_customer}))
    counts.refunds_recorded = _record_refunds(session, [(r.id, it.refunded_minor) for it, r in
                                                        zip(items, results, strict=True) if it.refunded_minor])
    return counts


def _keep_refunded(order_ids: list[int], session: Session) -> None:
    """An import does not undo a refund recorded since the export was made: the refunds decide the status."""
    status = case((Order.refunded_minor >= Order.total_minor, "refunded"), else_="partially_refunded")
    for part in chunks(order_ids):
        session.execute(update(Order).where(Order.id.in_(part), Order.refunded_minor > 0).values(status=status)
                        .execution_options(synchronize_session=False))


def _record_refunds(session: Session, wanted: list[tuple[int, int]]) -> int:
    """Bring each order's refunded amount up to the export's figure (never down), idempotently."""
    if not wanted:
        return 0
    refunded = dict(session.execute(select(Order.id, Order.refunded_minor)
                                    .where(Order.id.in_([oid for oid, _ in wanted]))).all())
    recorded = 0
    for order_id, amount in wanted:
        missing = amount - refunded.get(order_id, amount)
        if missing > 0:
            refunds.refund_order(session, order_id, f"import-refunded-{amount}", amount_minor=missing)
            recorded += 1
    return recorded


def refresh_statistics(session: Session) -> None:
    """ANALYZE the tables a bulk load grows (PostgreSQL), as autovacuum would, but in time.

    Without it the planner keeps the statistics of the empty tables it saw first and looks
    orders up by source alone, scanning every order of the source for each batch.
    """
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(t.__tablename__ for t in (Customer, Identity, Order, OrderLine, Product))
        session.execute(text(f"ANALYZE {names}"))


# --- dry run: what a batch would do, read only ---------------------------------------------------

def preview_customers(session: Session, cipher: PiiCipher, items: Sequence[CustomerItem]) -> Counts:
    hashes = [[identity_hash(cipher, k) for k in it.person.identities] for it in items]
    owners = owners_of(session, [h for hs in hashes for h in hs])
    new_people: set[str] = set()
    created = 0
    for hs in hashes:
        if any(h in owners for h in hs):
            continue
        if not any(h in new_people for h in hs):
            created += 1
        new_people.update(hs)
    return Counts(customers_created=created, customers_known=len(items) - created)


def preview_orders(session: Session, items: Sequence[OrderItem]) -> Counts:
    keys = [(it.order.source, it.order.external_id) for it in items]
    known = existing_orders(session, keys)
    fresh = [it for it, key in zip(items, keys, strict=True) if key not in known]
    return Counts(orders_created=len(fresh), orders_known=len(items) - len(fresh),
                  order_lines=sum(len(it.order.lines) for it in fresh))
