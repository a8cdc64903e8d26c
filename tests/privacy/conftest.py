"""Shared data for the privacy tests: one person with data in every part of the customers domain."""

from __future__ import annotations

import pytest

from .people import PERSON



@pytest.fixture
def person(client, auth):
    """Create the person through the API: profile, consent history, an order with a refund and a
    shipment, and an event whose properties hold personal data. Returns ids."""
    h = auth("admin")
    cid = client.post("/api/v1/customers", json=PERSON, headers=h).json()["id"]
    for granted in (True, False):
        reply = client.post(f"/api/v1/customers/{cid}/consents", headers=h, json={
            "channel": "email", "purpose": "marketing", "granted": granted, "notice_version": "v1"})
        assert reply.status_code == 201, reply.text
    order = client.post("/api/v1/orders", headers=h, json={
        "source": "shop", "external_id": "A-1", "customer": {"email": PERSON["email"]},
        "placed_at": "2026-03-01T10:00:00+08:00", "currency": "CNY", "total_minor": 25800,
        "lines": [{"sku": "LIP-01", "name": "口红", "quantity": 2, "unit_price_minor": 12900}]})
    assert order.status_code == 201 and order.json()["customer_id"] == cid, order.text
    oid = order.json()["id"]
    assert client.post(f"/api/v1/orders/{oid}/refunds", json={"external_id": "R-1", "amount_minor": 1000},
                       headers=h).status_code == 201
    assert client.post(f"/api/v1/orders/{oid}/shipments", headers=h, json={
        "external_id": "S-1", "carrier": "SF", "tracking_number": "SF1234567890", "status": "delivered",
        "at": "2026-03-03T10:00:00+08:00"}).status_code == 201
    events = client.post("/api/v1/events", headers=h, json={"events": [{
        "kind": "review", "occurred_at": "2026-03-05T10:00:00+08:00", "customer_id": cid, "external_id": "rev-1",
        "properties": {"text": "陈美玲 loved it", "contact": {"email": PERSON["email"]}, "rating": 5,
                       "sku": "LIP-01", "note": "call 13912345678 after 6pm"}}]})
    assert events.json()["results"][0]["status"] == 201, events.text
    return {"customer_id": cid, "order_id": oid}
