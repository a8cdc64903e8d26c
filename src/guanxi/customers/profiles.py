"""Profiles: upsert by any identity, the customer 360 view, and search."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.customers import consents, normalise
from guanxi.customers.hooks import customers_changed, timeline_sources
from guanxi.customers.identity import identity_hash, profile_columns, resolve_people
from guanxi.customers.models import Customer, Identity, Order
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.privacy.crypto import PiiCipher

PII_FIELDS = {"name": "name_enc", "birthday": "birthday_enc", "address": "address_enc"}


def upsert_customer(session: Session, cipher: PiiCipher, person: PersonIn) -> tuple[int, bool]:
    if not person.identities:
        raise Invalid("name the customer by at least one identity (email, phone, external_id with source, ...)")
    [(customer_id, created)] = resolve_people(session, cipher, [person])
    if not created:
        update_profile(session, cipher, customer_id, person.given())
    return customer_id, created


def live_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.status == "erased":
        raise NotFound(f"no customer {customer_id}")
    if customer.status == "merged" and customer.merged_into_id:
        return live_customer(session, customer.merged_into_id)
    return customer


def update_profile(session: Session, cipher: PiiCipher, customer_id: int, fields: dict) -> Customer:
    customer = live_customer(session, customer_id)
    cols = profile_columns(cipher, fields)
    if "tags" in cols:
        cols["tags"] = sorted(set(customer.tags or []) | set(cols["tags"]))
    if "attributes" in cols:
        cols["attributes"] = {**(customer.attributes or {}), **cols["attributes"]}
    if "preferences" in cols:
        cols["preferences"] = {**(customer.preferences or {}), **cols["preferences"]}
    for key, value in cols.items():
        setattr(customer, key, value)
    customer.updated_at = utcnow()
    session.flush()  # listeners read the new values with SQL
    customers_changed(session, [customer.id])
    return customer


def order_figures(session: Session, customer_id: int) -> dict:
    count, total, first, last = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_minor - Order.refunded_minor), 0),
               func.min(Order.placed_at), func.max(Order.placed_at))
        .where(Order.customer_id == customer_id, Order.status.in_(("paid", "partially_refunded", "refunded")))
    ).one()
    currencies = list(session.scalars(select(Order.currency).where(Order.customer_id == customer_id).distinct()))
    return {
        "orders_count": count, "orders_total_minor": int(total or 0),
        "currency": currencies[0] if len(currencies) == 1 else (None if not currencies else "mixed"),
        "first_order_at": first, "last_order_at": last,
        "average_order_minor": int(total // count) if count else 0,
    }


def identities_of(session: Session, cipher: PiiCipher, customer_id: int) -> list[dict]:
    rows = session.scalars(select(Identity).where(Identity.customer_id == customer_id).order_by(Identity.id))
    return [{"kind": r.kind, "source": r.source, "value": cipher.decrypt(r.value_enc, context=r.kind)} for r in rows]


def view(session: Session, cipher: PiiCipher, customer_id: int, *, reveal: bool, timeline_limit: int = 50) -> dict:
    """The customer 360: profile, identities, consents, order figures, tags and timeline.

    With reveal=False personal data is masked (138****5678); the caller audits a reveal.
    """
    c = live_customer(session, customer_id)
    pii = {name: cipher.decrypt(getattr(c, col), context=name) for name, col in PII_FIELDS.items()}
    idents = identities_of(session, cipher, c.id)
    if not reveal:
        pii = {k: normalise.mask(k, v) for k, v in pii.items()}
        idents = [{**i, "value": normalise.mask(i["kind"], i["value"])} for i in idents]
    return {
        "id": c.id, "status": c.status, **pii, "gender": c.gender, "region": c.region, "city": c.city,
        "locale": c.locale, "timezone": c.timezone, "acquisition_channel": c.acquisition_channel,
        "acquired_at": c.acquired_at, "tags": c.tags or [], "attributes": c.attributes or {},
        "preferences": c.preferences or {}, "created_at": c.created_at, "updated_at": c.updated_at,
        "identities": idents, "masked": not reveal,
        "consents": [{"channel": r.channel, "purpose": r.purpose, "granted": r.granted, "at": r.at,
                      "source": r.source, "notice_version": r.notice_version}
                     for r in consents.current(session, c.id).values()],
        **order_figures(session, c.id),
        "timeline": timeline(session, c.id, timeline_limit),
    }


def timeline(session: Session, customer_id: int, limit: int = 50) -> list[dict]:
    entries: list[dict] = []
    for name, source in timeline_sources.items():
        for entry in source(session, customer_id, limit):
            entries.append({"domain": name, **entry})
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def summary(c: Customer, cipher: PiiCipher, *, reveal: bool) -> dict:
    name = cipher.decrypt(c.name_enc, context="name")
    return {"id": c.id, "name": name if reveal else normalise.mask("name", name), "city": c.city,
            "tags": c.tags or [], "acquisition_channel": c.acquisition_channel, "created_at": c.created_at}


def search(session: Session, cipher: PiiCipher, q: str | None, *, tag: str | None = None,
           channel: str | None = None, region: str = "CN", after_id: int | None = None,
           limit: int = 50) -> list[Customer]:
    """Find by exact e-mail or phone (blind index), id, or name prefix; filter by tag and channel."""
    stmt = select(Customer).where(Customer.status == "active")
    if after_id:
        stmt = stmt.where(Customer.id > after_id)
    if channel:
        stmt = stmt.where(Customer.acquisition_channel == channel)
    name_filter = None
    if q:
        q = normalise.clean_text(q)
        ids = _ids_for_query(session, cipher, q, region)
        if ids is not None:
            stmt = stmt.where(Customer.id.in_(ids))
        else:
            name_filter = normalise.name_key(q)
            if not name_filter:
                return []
            if len(name_filter) == 1:
                stmt = stmt.where(Customer.name_initial_hash == cipher.blind_index("name_initial", name_filter))
            else:
                stmt = stmt.where(Customer.name_prefix_hash == cipher.blind_index("name_prefix", name_filter[:2]))
    stmt = stmt.order_by(Customer.id)
    found: list[Customer] = []
    # Tags and the full name prefix are checked here: tags are JSON, names are encrypted.
    batch = max(limit, 200)
    last = after_id or 0
    while len(found) < limit:
        rows = list(session.scalars(stmt.where(Customer.id > last).limit(batch)))
        for c in rows:
            if tag and tag not in (c.tags or []):
                continue
            if name_filter and not normalise.name_key(cipher.decrypt(c.name_enc, context="name") or "").startswith(name_filter):
                continue
            found.append(c)
            if len(found) == limit:
                break
        if len(rows) < batch:
            break
        last = rows[-1].id
    return found


def _ids_for_query(session: Session, cipher: PiiCipher, q: str, region: str) -> list[int] | None:
    if q.isdigit() and len(q) <= 9:
        return [int(q)]
    hashes = []
    if "@" in q:
        try:
            hashes.append(identity_hash(cipher, IdentityKey("email", "", normalise.email(q))))
        except Invalid:
            return []
    elif sum(ch.isdigit() for ch in q) >= 7:
        try:
            hashes.append(identity_hash(cipher, IdentityKey("phone", "", normalise.phone(q, region))))
        except Invalid:
            return []
    else:
        return None
    return list(session.scalars(select(Identity.customer_id).where(Identity.value_hash.in_(hashes))))
