"""The customers domain's part in privacy requests: its exporter and its eraser.

A person is the profile asked about plus every profile merged into it. Erasure deletes the
identities (so the old e-mail or phone finds nobody), nulls the profile's personal data,
scrubs events' properties, and keeps orders and consents as pseudonymous history.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from guanxi.customers import consents
from guanxi.customers.hooks import eraser, exporter
from guanxi.customers.models import (
    Customer, CustomerEvent, DuplicateCandidate, Identity, Merge, Order, OrderLine, Refund, Shipment,
)
from guanxi.db import utcnow
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.requests import cipher_of

ERASED = "[erased]"
# Property names that hold personal data whatever their value.
PII_KEYS = {
    "email", "e_mail", "phone", "mobile", "tel", "telephone", "name", "first_name", "last_name", "full_name",
    "nickname", "nick", "username", "address", "address1", "address2", "street", "zip", "postcode",
    "postal_code", "ip", "ip_address", "user_agent", "birthday", "birthdate", "dob", "openid", "unionid",
    "wechat_openid", "wechat_unionid", "douyin_id", "weibo_id", "id_card", "id_number", "latitude",
    "longitude", "lat", "lng", "location", "device_id", "contact", "recipient", "receiver",
}
_KEY_WORDS = re.compile(r"[^a-z0-9]+")
# Profile columns erased along with the person (status, dates and channel stay for statistics).
ERASED_COLUMNS = {
    "name_enc": None, "name_prefix_hash": None, "name_initial_hash": None, "birthday_enc": None,
    "birthday_md_hash": None, "address_enc": None, "address_hash": None, "gender": None, "region": None,
    "city": None, "tags": [], "attributes": {}, "preferences": {},
}


def person_ids(session: Session, customer_id: int) -> list[int]:
    """The profile and, transitively, every profile merged into it."""
    ids, frontier = [customer_id], [customer_id]
    while frontier:
        frontier = list(session.scalars(select(Customer.id).where(Customer.merged_into_id.in_(frontier))
                                        .where(Customer.id.not_in(ids))))
        ids += frontier
    return ids


def _profile(c: Customer, cipher: PiiCipher) -> dict:
    return {
        "id": c.id, "status": c.status, "merged_into_id": c.merged_into_id,
        "name": cipher.decrypt(c.name_enc, context="name"),
        "birthday": cipher.decrypt(c.birthday_enc, context="birthday"),
        "address": cipher.decrypt(c.address_enc, context="address"),
        "gender": c.gender, "region": c.region, "city": c.city, "locale": c.locale, "timezone": c.timezone,
        "acquisition_channel": c.acquisition_channel, "acquired_at": c.acquired_at, "tags": c.tags or [],
        "attributes": c.attributes or {}, "preferences": c.preferences or {},
        "created_at": c.created_at, "updated_at": c.updated_at,
    }


def _orders(session: Session, ids: list[int]) -> list[dict]:
    orders = list(session.scalars(select(Order).where(Order.customer_id.in_(ids)).order_by(Order.placed_at, Order.id)))
    order_ids = [o.id for o in orders]
    by_order: dict[int, dict[str, list]] = {oid: {"lines": [], "refunds": [], "shipments": []} for oid in order_ids}
    if order_ids:
        for line in session.scalars(select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.line_no)):
            by_order[line.order_id]["lines"].append({
                "line_no": line.line_no, "sku": line.sku, "name": line.name, "category": line.category,
                "quantity": line.quantity, "unit_price_minor": line.unit_price_minor,
                "refunded_quantity": line.refunded_quantity})
        for r in session.scalars(select(Refund).where(Refund.order_id.in_(order_ids)).order_by(Refund.id)):
            by_order[r.order_id]["refunds"].append({"external_id": r.external_id, "amount_minor": r.amount_minor,
                                                    "lines": r.lines, "created_at": r.created_at})
        for s in session.scalars(select(Shipment).where(Shipment.order_id.in_(order_ids)).order_by(Shipment.id)):
            by_order[s.order_id]["shipments"].append({
                "external_id": s.external_id, "carrier": s.carrier, "tracking_number": s.tracking_number,
                "status": s.status, "lines": s.lines, "shipped_at": s.shipped_at, "delivered_at": s.delivered_at,
                "last_movement_at": s.last_movement_at})
    return [{
        "id": o.id, "source": o.source, "external_id": o.external_id, "placed_at": o.placed_at,
        "status": o.status, "currency": o.currency, "total_minor": o.total_minor,
        "discount_minor": o.discount_minor, "shipping_minor": o.shipping_minor, "refunded_minor": o.refunded_minor,
        "channel": o.channel, "store": o.store, "live_session": o.live_session, **by_order[o.id],
    } for o in orders]


@exporter("customers")
def export_customer(session: Session, customer_id: int) -> dict:
    cipher = cipher_of(session)
    ids = person_ids(session, customer_id)
    profiles = {c.id: _profile(c, cipher) for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    identities = session.scalars(select(Identity).where(Identity.customer_id.in_(ids)).order_by(Identity.id))
    consent_rows = [row for cid in ids for row in consents.history(session, cid)]
    events = session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id.in_(ids))
                             .order_by(CustomerEvent.occurred_at, CustomerEvent.id))
    return {
        "profile": profiles[customer_id],
        "merged_profiles": [profiles[i] for i in ids[1:]],
        "identities": [{"kind": i.kind, "source": i.source, "value": cipher.decrypt(i.value_enc, context=i.kind),
                        "created_at": i.created_at} for i in identities],
        "consents": [{"channel": r.channel, "purpose": r.purpose, "granted": r.granted, "at": r.at,
                      "source": r.source, "notice_version": r.notice_version} for r in consent_rows],
        "orders": _orders(session, ids),
        "events": [{"kind": e.kind, "occurred_at": e.occurred_at, "source": e.source, "external_id": e.external_id,
                    "properties": e.properties} for e in events],
    }


def known_values(session: Session, cipher: PiiCipher, ids: list[int]) -> list[str]:
    """The person's personal data in plain text, in the forms it may be written in free text."""
    values: set[str] = set()
    for i in session.scalars(select(Identity).where(Identity.customer_id.in_(ids))):
        value = cipher.decrypt(i.value_enc, context=i.kind)
        values.add(value)
        if i.kind == "phone" and value.startswith("+"):
            values.add(value.removeprefix("+86") if value.startswith("+86") else value[1:])
    for c in session.scalars(select(Customer).where(Customer.id.in_(ids))):
        for column, context in (("name_enc", "name"), ("address_enc", "address")):
            if plain := cipher.decrypt(getattr(c, column), context=context):
                values.add(plain)
    # Longest first, and never a single character: scrubbing must not eat ordinary words.
    return sorted((v.casefold() for v in values if len(v.strip()) >= 2), key=len, reverse=True)


def scrub(value, needles: list[str]):
    """Drop properties named like personal data and blank any text containing the person's data."""
    if isinstance(value, dict):
        return {k: ERASED if _KEY_WORDS.sub("_", str(k).casefold()).strip("_") in PII_KEYS else scrub(v, needles)
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, needles) for v in value]
    if isinstance(value, str):
        folded = value.casefold()
        return ERASED if any(n in folded for n in needles) else value
    return value


@eraser("customers")
def erase_customer(session: Session, customer_id: int) -> dict:
    cipher = cipher_of(session)
    ids = person_ids(session, customer_id)
    needles = known_values(session, cipher, ids)
    scrubbed = 0
    for event in session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id.in_(ids))):
        properties = scrub(event.properties or {}, needles)
        external = event.external_id if scrub(event.external_id, needles) == event.external_id else None
        if properties != event.properties or external != event.external_id:
            event.properties, event.external_id = properties, external
            scrubbed += 1
    removed = session.execute(delete(Identity).where(Identity.customer_id.in_(ids))).rowcount
    order_ids = select(Order.id).where(Order.customer_id.in_(ids))
    # A tracking number leads to the delivery address at the carrier.
    session.execute(update(Shipment).where(Shipment.order_id.in_(order_ids)).values(tracking_number=None))
    # Merge records keep the survivor's former profile for unmerge: after erasure there is nothing to restore.
    session.execute(update(Merge).where(or_(Merge.survivor_id.in_(ids), Merge.merged_id.in_(ids))).values(before={}))
    session.execute(delete(DuplicateCandidate).where(
        or_(DuplicateCandidate.a_id.in_(ids), DuplicateCandidate.b_id.in_(ids))))
    now = utcnow()
    session.execute(update(Customer).where(Customer.id.in_(ids))
                    .values(**ERASED_COLUMNS, status="erased", erased_at=now, updated_at=now))
    kept = session.scalar(select(func.count()).select_from(Order).where(Order.customer_id.in_(ids)))
    return {"profiles": len(ids), "identities_removed": removed, "events_scrubbed": scrubbed, "orders_kept": kept}
