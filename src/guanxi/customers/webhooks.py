"""Shopify-style webhooks: a signed delivery, handled once per webhook id.

Orders go through `ingest_orders`, refunds through `refund_order`, fulfilments through the
shipments service: the same paths as the API and imports, so a webhook and an import of the
same order agree. A delivery is recorded in the same transaction as its effects: a failure
leaves no record and Shopify's retry processes it again; a redelivery changes nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from guanxi.customers import consents, normalise, profiles, refunds, shipments
from guanxi.customers.ingest import existing_orders, ingest_orders
from guanxi.customers.models import Order, WebhookDelivery
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Invalid, NotFound, Unauthorized
from guanxi.money import is_currency, to_minor
from guanxi.privacy.crypto import PiiCipher

log = logging.getLogger(__name__)

PROVIDER = "shopify"
SOURCE = "shopify"  # orders' source and the source of Shopify customer ids

FINANCIAL_STATUS = {
    "pending": "pending", "authorized": "pending", "partially_paid": "pending", "paid": "paid",
    "partially_refunded": "partially_refunded", "refunded": "refunded", "voided": "cancelled",
}
REFUNDED = ("refunded", "partially_refunded")
SHIPMENT_STATUS = {"delivered": "delivered", "failure": "failed"}  # any other carrier stage: in transit
FULFILMENT_STATUS = {"cancelled": "cancelled", "error": "failed", "failure": "failed"}


@dataclass
class Delivery:
    topic: str
    delivery_id: str
    payload: dict
    shop: str | None = None
    region: str = "CN"


def verify_signature(secret: str | None, body: bytes, signature: str | None) -> None:
    """Check X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body with the shared secret."""
    if not secret:
        raise Unauthorized("Shopify webhooks are not set up: set GUANXI_SHOPIFY_WEBHOOK_SECRET")
    if not signature:
        raise Unauthorized("missing X-Shopify-Hmac-Sha256 signature")
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise Unauthorized("the X-Shopify-Hmac-Sha256 signature does not match the body")


def delivery_id_for(header: str | None, topic: str, body: bytes) -> str:
    """The webhook id; without one, an exact replay of the same body is still recognised."""
    if header and header.strip():
        return header.strip()[:100]
    return "sha256:" + hashlib.sha256(topic.encode() + b"\x00" + body).hexdigest()


def handle(session: Session, cipher: PiiCipher, d: Delivery, *, now: dt.datetime | None = None) -> dict:
    """Process a delivery once. Returns {"status": "processed"|"duplicate"|"skipped", ...ids}."""
    handler = HANDLERS.get(d.topic)
    if handler is None:
        return {"status": "ignored", "topic": d.topic, "detail": f"topic {d.topic!r} is not handled"}
    now = now or utcnow()
    claim = insert_ignoring_conflicts(session, WebhookDelivery, ["provider", "delivery_id"]).returning(WebhookDelivery.id)
    claimed = session.scalar(claim, {"provider": PROVIDER, "delivery_id": d.delivery_id, "topic": d.topic,
                                     "received_at": now, "result": {}})
    if claimed is None:
        earlier = session.scalar(select(WebhookDelivery.result).where(
            WebhookDelivery.provider == PROVIDER, WebhookDelivery.delivery_id == d.delivery_id))
        return {**(earlier or {}), "status": "duplicate", "topic": d.topic}
    result = {"status": "processed", "topic": d.topic, **handler(session, cipher, d, now)}
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == claimed).values(result=result))
    return result


# --- payload fields ---------------------------------------------------------------------------

def _get(payload: dict, key: str, loc: list, *, required: bool = False):
    value = payload.get(key) if isinstance(payload, dict) else None
    if required and value in (None, ""):
        raise Invalid(f"{'.'.join(map(str, [*loc, key]))} is missing", errors=[{"loc": [*loc, key], "msg": "required"}])
    return value


def _ext_id(payload: dict, key: str, loc: list) -> str:
    value = _get(payload, key, loc, required=True)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or len(str(value)) > 100:
        raise Invalid(f"{key} must be a Shopify id", errors=[{"loc": [*loc, key], "msg": "not an id"}])
    return str(value)


def _money(value, currency: str, loc: list) -> int:
    if value in (None, ""):
        return 0
    try:
        minor = to_minor(str(value), currency)
    except ValueError as exc:
        raise Invalid(str(exc), errors=[{"loc": loc, "msg": str(exc)}]) from None
    if minor < 0:
        raise Invalid(f"{'.'.join(map(str, loc))} is negative", errors=[{"loc": loc, "msg": "negative amount"}])
    return minor


def _time(value, loc: list, default: dt.datetime | None = None) -> dt.datetime:
    if value in (None, ""):
        if default is None:
            raise Invalid(f"{'.'.join(map(str, loc))} is missing", errors=[{"loc": loc, "msg": "required"}])
        return default
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{value!r} is not an ISO 8601 time", errors=[{"loc": loc, "msg": "not a time"}]) from None
    if parsed.tzinfo is None:
        raise Invalid(f"{value!r} has no UTC offset", errors=[{"loc": loc, "msg": "no offset"}])
    return parsed.astimezone(dt.UTC)


def _text(value, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return normalise.clean_text(value)[:limit]


def _full_name(first, last) -> str | None:
    first, last = _text(first, 100), _text(last, 100)
    if not first or not last:
        return first or last
    if all(ord(ch) > 0x2E7F for ch in first + last):  # CJK: family name first, no space
        return last + first
    return f"{first} {last}"


def _identities(region: str, *, shopify_id=None, email=None, phone=None) -> list[IdentityKey]:
    """Identities a payload names; a malformed e-mail or phone is left out rather than losing the order."""
    keys = []
    if shopify_id not in (None, ""):
        keys.append(IdentityKey("shopify_id", SOURCE, normalise.identity("shopify_id", str(shopify_id))))
    for kind, value in (("email", email), ("phone", phone)):
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            keys.append(IdentityKey(kind, "", normalise.identity(kind, value, region)))
        except Invalid:
            log.info("shopify webhook: a malformed %s was left out", kind)
    return list(dict.fromkeys(keys))


def _address(a) -> dict:
    if not isinstance(a, dict):
        return {}
    parts = [_text(a.get(k), 200) for k in ("address1", "address2", "city", "province", "zip", "country")]
    return {"address": ", ".join(p for p in parts if p) or None, "city": _text(a.get("city"), 100),
            "region": _text(a.get("province"), 100)}


# --- topics -------------------------------------------------------------------------------------

def order_record(payload: dict, region: str, shop: str | None, topic: str) -> OrderIn:
    currency = _get(payload, "currency", [], required=True)
    if not isinstance(currency, str) or not is_currency(currency.upper()):
        raise Invalid(f"{currency!r} is not an ISO 4217 currency", errors=[{"loc": ["currency"], "msg": "unknown"}])
    currency = currency.upper()
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    person = PersonIn(
        identities=_identities(region, shopify_id=customer.get("id"),
                               email=payload.get("email") or customer.get("email"),
                               phone=payload.get("phone") or customer.get("phone")),
        name=_full_name(customer.get("first_name"), customer.get("last_name")),
        acquisition_channel="shopify",
    )
    shipping = ((payload.get("total_shipping_price_set") or {}).get("shop_money") or {}).get("amount")
    if shipping is None:  # older payloads: the shipping lines' prices
        shipping_minor = sum(_money(line.get("price"), currency, ["shipping_lines", i, "price"])
                             for i, line in enumerate(payload.get("shipping_lines") or []) if isinstance(line, dict))
    else:
        shipping_minor = _money(shipping, currency, ["total_shipping_price_set", "shop_money", "amount"])
    status = FINANCIAL_STATUS.get(payload.get("financial_status") or "", "paid" if topic == "orders/paid" else "pending")
    if topic == "orders/paid" and status == "pending":
        status = "paid"
    if payload.get("cancelled_at") or topic == "orders/cancelled":
        status = "cancelled"
    lines = []
    for i, item in enumerate(payload.get("line_items") or []):
        loc = ["line_items", i]
        quantity = _get(item, "quantity", loc, required=True)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise Invalid(f"line {i}: quantity must be a positive whole number",
                          errors=[{"loc": [*loc, "quantity"], "msg": "positive integer"}])
        sku = _text(item.get("sku"), 100) or f"shopify-variant-{item.get('variant_id') or item.get('id')}"
        lines.append(LineIn(sku=sku, quantity=quantity, name=_text(item.get("title"), 300) or "",
                            unit_price_minor=_money(item.get("price"), currency, [*loc, "price"])))
    return OrderIn(
        source=SOURCE, external_id=_ext_id(payload, "id", []), person=person,
        placed_at=_time(payload.get("created_at"), ["created_at"]), currency=currency,
        total_minor=_money(_get(payload, "total_price", [], required=True), currency, ["total_price"]),
        discount_minor=_money(payload.get("total_discounts"), currency, ["total_discounts"]),
        shipping_minor=shipping_minor, status=status, channel="shopify", store=shop, lines=lines,
    )


def _order(session: Session, cipher: PiiCipher, d: Delivery, now: dt.datetime) -> dict:
    record = order_record(d.payload, d.region, d.shop, d.topic)
    known = existing_orders(session, [(record.source, record.external_id)]).get((record.source, record.external_id))
    if known and known[2] in REFUNDED and record.status in ("pending", "paid"):
        record.status = known[2]  # a late order webhook does not undo a refund already recorded
    [result] = ingest_orders(session, cipher, [record], now=now)
    return {"order_id": result.id, "customer_id": result.customer_id, "created": result.created}


def _our_order(session: Session, payload: dict) -> tuple[int, str]:
    external = _ext_id(payload, "order_id", [])
    known = existing_orders(session, [(SOURCE, external)]).get((SOURCE, external))
    if known is None:
        # Not acknowledged: Shopify retries, and by then the order webhook has usually arrived.
        raise NotFound(f"Shopify order {external} is not known yet")
    return known[0], session.get(Order, known[0]).currency


def _refund(session: Session, cipher: PiiCipher, d: Delivery, now: dt.datetime) -> dict:
    order_id, currency = _our_order(session, d.payload)
    refund_id = _ext_id(d.payload, "id", [])
    amount = 0
    for i, t in enumerate(d.payload.get("transactions") or []):
        if isinstance(t, dict) and t.get("kind") == "refund" and t.get("status", "success") == "success":
            amount += _money(t.get("amount"), currency, ["transactions", i, "amount"])
    if amount:
        refund, created = refunds.refund_order(session, order_id, refund_id, amount_minor=amount)
    else:
        lines = [refunds.RefundLineIn(sku, item["quantity"])
                 for item in d.payload.get("refund_line_items") or []
                 if isinstance(item, dict) and isinstance(item.get("quantity"), int) and item["quantity"] > 0
                 and (sku := _text((item.get("line_item") or {}).get("sku"), 100))]
        if not lines:
            return {"order_id": order_id, "status": "skipped", "detail": "the refund moved no money"}
        refund, created = refunds.refund_order(session, order_id, refund_id, lines=lines)
    return {"order_id": order_id, "refund_id": refund.id, "amount_minor": refund.amount_minor, "created": created}


def _fulfilment(session: Session, cipher: PiiCipher, d: Delivery, now: dt.datetime) -> dict:
    p = d.payload
    order_id, _ = _our_order(session, p)
    created_at = _time(p.get("created_at"), ["created_at"], default=now)
    at = _time(p.get("updated_at"), ["updated_at"], default=created_at)
    status = FULFILMENT_STATUS.get(p.get("status") or "") or SHIPMENT_STATUS.get(p.get("shipment_status") or "",
                                                                                 "in_transit")
    numbers = p.get("tracking_numbers") if isinstance(p.get("tracking_numbers"), list) else []
    tracking = _text(p.get("tracking_number"), 100) or (_text(numbers[0], 100) if numbers else None)
    lines = [{"sku": _text(i.get("sku"), 100), "quantity": i.get("quantity")}
             for i in p.get("line_items") or [] if isinstance(i, dict)]
    shipment, created = shipments.record_shipment(session, order_id, shipments.ShipmentIn(
        external_id=_ext_id(p, "id", []), status=status, carrier=_text(p.get("tracking_company"), 60),
        tracking_number=tracking, lines=lines, shipped_at=created_at, at=at,
        delivered_at=at if status == "delivered" else None), now=now)
    return {"order_id": order_id, "shipment_id": shipment.id, "shipment_status": shipment.status, "created": created}


def _customer(session: Session, cipher: PiiCipher, d: Delivery, now: dt.datetime) -> dict:
    p = d.payload
    tags = [t.strip()[:60] for t in p["tags"].split(",") if t.strip()] if isinstance(p.get("tags"), str) else []
    person = PersonIn(
        identities=_identities(d.region, shopify_id=_ext_id(p, "id", []), email=p.get("email"), phone=p.get("phone")),
        name=_full_name(p.get("first_name"), p.get("last_name")), tags=tags or None,
        acquisition_channel="shopify", **{k: v for k, v in _address(p.get("default_address")).items() if v},
    )
    customer_id, created = profiles.upsert_customer(session, cipher, person)
    changed = _marketing_consents(session, customer_id, p, now)
    return {"customer_id": customer_id, "created": created, "consents_changed": changed}


def _marketing_consents(session: Session, customer_id: int, p: dict, now: dt.datetime) -> int:
    """Record Shopify's marketing consent states where they differ from the state in force.

    A change made here later (say, a withdrawal on the member page) is not overridden by an
    older state from Shopify.
    """
    wanted = {}
    for channel, key in (("email", "email_marketing_consent"), ("sms", "sms_marketing_consent")):
        consent = p.get(key) if isinstance(p.get(key), dict) else {}
        if consent.get("state") in ("subscribed", "unsubscribed"):
            wanted[channel] = (consent["state"] == "subscribed", consent.get("consent_updated_at"))
    if "email" not in wanted and isinstance(p.get("accepts_marketing"), bool):  # older API versions
        wanted["email"] = (p["accepts_marketing"], p.get("accepts_marketing_updated_at"))
    current = consents.current(session, customer_id)
    changed = 0
    for channel, (granted, when) in wanted.items():
        row = current.get((channel, "marketing"))
        at = _time(when, [channel, "consent_updated_at"], default=now)
        if row is None or (row.granted != granted and at > row.at):
            consents.set_consent(session, customer_id, channel, "marketing", granted, source="shopify", at=at)
            changed += 1
    return changed


HANDLERS: dict[str, Callable[[Session, PiiCipher, Delivery, dt.datetime], dict]] = {
    **dict.fromkeys(("orders/create", "orders/paid", "orders/updated", "orders/cancelled"), _order),
    "refunds/create": _refund,
    **dict.fromkeys(("fulfillments/create", "fulfillments/update"), _fulfilment),
    **dict.fromkeys(("customers/create", "customers/update"), _customer),
}
