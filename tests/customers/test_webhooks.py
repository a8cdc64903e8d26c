import base64
import copy
import datetime as dt
import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from guanxi.customers import shipments
from guanxi.customers.models import Consent, Customer, Identity, Order, OrderLine, Refund, Shipment, WebhookDelivery

SECRET = "shpss_test_secret"
URL = "/api/v1/webhooks/shopify"

ORDER = {
    "id": 820982911946154508, "name": "#1001", "email": "jon.snow@example.com", "phone": None,
    "created_at": "2026-11-11T10:00:00+08:00", "currency": "CNY", "financial_status": "pending",
    "total_price": "268.00", "total_discounts": "10.00",
    "total_shipping_price_set": {"shop_money": {"amount": "20.00", "currency_code": "CNY"}},
    "customer": {"id": 115310627314723954, "email": "jon.snow@example.com", "phone": "+8613800138000",
                 "first_name": "Jon", "last_name": "Snow"},
    "line_items": [{"sku": "LIP-01", "title": "口红 Lipstick", "quantity": 2, "price": "129.00"},
                   {"sku": "", "variant_id": 42, "title": "Gift wrap", "quantity": 1, "price": "0.00"}],
}
REFUND = {"id": 509562969, "order_id": ORDER["id"], "created_at": "2026-11-13T10:00:00+08:00",
          "refund_line_items": [{"quantity": 1, "line_item": {"sku": "LIP-01"}}],
          "transactions": [{"kind": "refund", "status": "success", "amount": "129.00", "currency": "CNY"}]}
FULFILMENT = {"id": 255858046, "order_id": ORDER["id"], "status": "success", "tracking_company": "SF Express",
              "tracking_number": "SF1000000001", "shipment_status": "in_transit",
              "created_at": "2026-11-12T09:00:00+08:00", "updated_at": "2026-11-12T09:00:00+08:00",
              "line_items": [{"sku": "LIP-01", "quantity": 2}]}


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"shopify_webhook_secret": SECRET})


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def send(client, topic: str, payload: dict, webhook_id: str, *, signature: str | None = None):
    body = json.dumps(payload).encode()
    headers = {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id, "Content-Type": "application/json",
               "X-Shopify-Hmac-Sha256": sign(body) if signature is None else signature,
               "X-Shopify-Shop-Domain": "probe.myshopify.com"}
    return client.post(URL, content=body, headers=headers)


def state(runtime) -> dict:
    with runtime.factory() as s:
        count = lambda m: s.scalar(select(func.count()).select_from(m))  # noqa: E731
        return {"customers": count(Customer), "identities": count(Identity), "orders": count(Order),
                "lines": count(OrderLine), "refunds": count(Refund), "shipments": count(Shipment),
                "deliveries": count(WebhookDelivery), "consents": count(Consent),
                "total": s.scalar(select(func.sum(Order.total_minor))),
                "refunded": s.scalar(select(func.sum(Order.refunded_minor))),
                "statuses": sorted(s.scalars(select(Order.status)))}


def test_signature_is_checked(client, runtime):
    body = json.dumps(ORDER).encode()
    for signature in ("", sign(body, "another secret"), sign(body + b" ")):
        reply = send(client, "orders/create", ORDER, "w-1", signature=signature)
        assert reply.status_code == 401, signature
        assert reply.headers["content-type"] == "application/problem+json"
    assert state(runtime)["orders"] == 0
    assert send(client, "orders/create", ORDER, "w-1").status_code == 200
    runtime.settings.shopify_webhook_secret = None  # not set up: every delivery is refused
    assert send(client, "orders/create", ORDER, "w-2").status_code == 401


def test_order_webhooks_map_and_replay_changes_nothing(client, runtime):
    first = send(client, "orders/create", ORDER, "w-1")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "processed" and first.json()["created"]
    paid = {**ORDER, "financial_status": "paid"}
    assert send(client, "orders/paid", paid, "w-2").json()["order_id"] == first.json()["order_id"]
    with runtime.factory() as s:
        order = s.get(Order, first.json()["order_id"])
        assert (order.source, order.external_id, order.status, order.currency) == ("shopify", str(ORDER["id"]), "paid", "CNY")
        assert (order.total_minor, order.discount_minor, order.shipping_minor) == (26800, 1000, 2000)
        assert order.store == "probe.myshopify.com" and order.channel == "shopify"
        lines = s.scalars(select(OrderLine).order_by(OrderLine.line_no)).all()
        assert [(l.sku, l.quantity, l.unit_price_minor) for l in lines] == [("LIP-01", 2, 12900), ("shopify-variant-42", 1, 0)]
        kinds = sorted(i.kind for i in s.scalars(select(Identity)))
        assert kinds == ["email", "phone", "shopify_id"]
    before = state(runtime)
    for topic, payload, wid in (("orders/create", ORDER, "w-1"), ("orders/paid", paid, "w-2")):
        again = send(client, topic, payload, wid)
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
        assert again.json()["order_id"] == first.json()["order_id"]
    # Even under a new webhook id the same order is one order.
    assert send(client, "orders/paid", paid, "w-3").json()["created"] is False
    after = state(runtime)
    assert {k: v for k, v in after.items() if k != "deliveries"} == {k: v for k, v in before.items() if k != "deliveries"}
    assert after["customers"] == 1 and after["orders"] == 1 and after["total"] == 26800


def test_refund_reverses_amounts_once(client, runtime):
    send(client, "orders/paid", {**ORDER, "financial_status": "paid"}, "w-1")
    reply = send(client, "refunds/create", REFUND, "w-r1")
    assert reply.status_code == 200, reply.text
    assert reply.json()["amount_minor"] == 12900 and reply.json()["created"]
    once = state(runtime)
    assert once["refunded"] == 12900 and once["statuses"] == ["partially_refunded"]
    assert send(client, "refunds/create", REFUND, "w-r1").json()["status"] == "duplicate"
    assert send(client, "refunds/create", REFUND, "w-r1-resent").json()["created"] is False  # same refund id
    # A late orders/paid does not undo the refund.
    send(client, "orders/paid", {**ORDER, "financial_status": "paid"}, "w-late")
    assert {k: v for k, v in state(runtime).items() if k != "deliveries"} == {
        k: v for k, v in once.items() if k != "deliveries"}
    rest = {**REFUND, "id": 509562970, "transactions": [{"kind": "refund", "status": "success", "amount": "139.00"}]}
    send(client, "refunds/create", rest, "w-r2")
    assert state(runtime)["refunded"] == 26800 and state(runtime)["statuses"] == ["refunded"]
    too_much = {**REFUND, "id": 509562971}
    reply = send(client, "refunds/create", too_much, "w-r3")
    assert reply.status_code == 422 and reply.headers["content-type"] == "application/problem+json"


def test_refund_before_its_order_is_retried(client, runtime):
    early = send(client, "refunds/create", REFUND, "w-r1")
    assert early.status_code == 404  # not acknowledged: Shopify sends it again later
    assert state(runtime)["deliveries"] == 0
    send(client, "orders/paid", {**ORDER, "financial_status": "paid"}, "w-1")
    assert send(client, "refunds/create", REFUND, "w-r1").json()["status"] == "processed"
    assert state(runtime)["refunded"] == 12900


def test_fulfilment_marks_delivery(client, runtime):
    order_id = send(client, "orders/paid", {**ORDER, "financial_status": "paid"}, "w-1").json()["order_id"]
    created = send(client, "fulfillments/create", FULFILMENT, "w-f1")
    assert created.status_code == 200 and created.json()["shipment_status"] == "in_transit"
    delivered = {**FULFILMENT, "shipment_status": "delivered", "updated_at": "2026-11-14T15:30:00+08:00"}
    assert send(client, "fulfillments/update", delivered, "w-f2").json()["shipment_status"] == "delivered"
    # An older update arriving late does not move the parcel back.
    stale = {**FULFILMENT, "shipment_status": "out_for_delivery", "updated_at": "2026-11-13T08:00:00+08:00"}
    send(client, "fulfillments/update", stale, "w-f3")
    with runtime.factory() as s:
        [shipment] = s.scalars(select(Shipment)).all()
        assert shipment.order_id == order_id and shipment.status == "delivered"
        assert (shipment.carrier, shipment.tracking_number) == ("SF Express", "SF1000000001")
        assert shipment.delivered_at == dt.datetime(2026, 11, 14, 7, 30, tzinfo=dt.UTC)
        assert shipment.shipped_at == dt.datetime(2026, 11, 12, 1, 0, tzinfo=dt.UTC)
        order = s.get(Order, order_id)
        assert shipments.return_window_open(order, dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.UTC))
        assert not shipments.return_window_open(order, dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC))


def test_customer_webhook_upserts_profile_and_consent(client, runtime, auth):
    payload = {"id": 706405506930370084, "email": "Bob.Norman@Example.com", "phone": "+8613700137000",
               "first_name": "Bob", "last_name": "Norman", "tags": "vip, newsletter",
               "default_address": {"address1": "Chestnut Street 92", "city": "Louisville", "province": "Kentucky",
                                   "country": "United States", "zip": "40202"},
               "email_marketing_consent": {"state": "subscribed", "consent_updated_at": "2024-01-01T00:00:00Z"}}
    reply = send(client, "customers/create", payload, "w-c1")
    assert reply.status_code == 200 and reply.json()["created"] and reply.json()["consents_changed"] == 1
    cid = reply.json()["customer_id"]
    again = send(client, "customers/update", payload, "w-c2")  # same state: no new consent row
    assert again.json()["customer_id"] == cid and again.json()["consents_changed"] == 0
    full = client.get(f"/api/v1/customers/{cid}", headers=auth("admin")).json()
    assert full["name"] == "Bob Norman" and full["city"] == "Louisville" and full["tags"] == ["newsletter", "vip"]
    assert "Chestnut Street 92" in full["address"]
    assert {i["value"] for i in full["identities"]} == {"bob.norman@example.com", "+8613700137000", str(payload["id"])}
    assert [(c["channel"], c["granted"]) for c in full["consents"]] == [("email", True)]
    # Withdrawn here later: Shopify's older "subscribed" does not grant it again.
    assert client.post(f"/api/v1/customers/{cid}/consents", headers=auth("admin"), json={
        "channel": "email", "purpose": "marketing", "granted": False}).status_code == 201
    assert send(client, "customers/update", payload, "w-c3").json()["consents_changed"] == 0
    newer = {**payload, "email_marketing_consent": {"state": "subscribed", "consent_updated_at": "2099-01-01T00:00:00Z"}}
    assert send(client, "customers/update", newer, "w-c4").json()["consents_changed"] == 1
    order = copy.deepcopy(ORDER)
    order["customer"] = {"id": payload["id"]}
    order["email"] = None
    assert send(client, "orders/create", order, "w-o1").json()["customer_id"] == cid  # the Shopify id finds them


def test_bad_deliveries(client, runtime):
    assert send(client, "orders/create", {**ORDER, "total_price": "12.345"}, "w-1").status_code == 422
    assert send(client, "orders/create", {**ORDER, "currency": "XXX"}, "w-2").status_code == 422
    missing = {k: v for k, v in ORDER.items() if k != "id"}
    reply = send(client, "orders/create", missing, "w-3")
    assert reply.status_code == 422 and reply.json()["errors"][0]["loc"] == ["id"]
    body = b"not json"
    reply = client.post(URL, content=body, headers={"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": sign(body)})
    assert reply.status_code == 422
    ignored = send(client, "products/create", {"id": 1}, "w-4")
    assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
    bad_phone = {**ORDER, "customer": {**ORDER["customer"], "phone": "12"}}  # left out, the order is kept
    assert send(client, "orders/create", bad_phone, "w-5").status_code == 200
    assert state(runtime)["orders"] == 1 and state(runtime)["deliveries"] == 1
