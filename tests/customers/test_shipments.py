import datetime as dt

import pytest
from sqlalchemy import select

from guanxi.customers import shipments
from guanxi.customers.models import Order, Shipment
from guanxi.worker import Worker

T0 = dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


@pytest.fixture
def order_id(client, auth) -> int:
    reply = client.post("/api/v1/orders", headers=auth("tech"), json={
        "source": "shop", "external_id": "S-100", "customer": {"email": "ship@example.com"},
        "placed_at": T0.isoformat(), "currency": "CNY", "total_minor": 5000,
        "lines": [{"sku": "TEA-1", "quantity": 2, "unit_price_minor": 2500}]})
    return reply.json()["id"]


def post(client, auth, order_id, **body):
    return client.post(f"/api/v1/orders/{order_id}/shipments", json={"external_id": "P-1", **body},
                       headers=auth("tech"))


def test_shipment_api_upserts_and_marks_delivery(client, auth, runtime, order_id):
    created = post(client, auth, order_id, carrier="SF", tracking_number="SF1", at=day(1).isoformat(),
                   lines=[{"sku": "TEA-1", "quantity": 2}])
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "in_transit" and created.json()["delivered_at"] is None
    moved = post(client, auth, order_id, at=day(2).isoformat())
    assert moved.status_code == 200 and moved.json()["id"] == created.json()["id"]
    delivered = post(client, auth, order_id, status="delivered", at=day(3).isoformat())
    assert delivered.json()["status"] == "delivered"
    assert dt.datetime.fromisoformat(delivered.json()["delivered_at"]) == day(3)
    late = post(client, auth, order_id, status="in_transit", at=day(2.5).isoformat())  # older news
    assert late.json()["status"] == "delivered"
    with runtime.factory() as s:
        [row] = s.scalars(select(Shipment)).all()
        assert (row.carrier, row.tracking_number, row.lines) == ("SF", "SF1", [{"sku": "TEA-1", "quantity": 2}])
        assert row.shipped_at == day(1) and row.last_movement_at == day(3)
    timeline = client.get(f"/api/v1/customers/{_customer(runtime, order_id)}", headers=auth("admin")).json()["timeline"]
    assert any(e["kind"] == "shipment" and "delivered" in e["summary"] for e in timeline)


def _customer(runtime, order_id):
    with runtime.factory() as s:
        return s.get(Order, order_id).customer_id


def test_shipment_api_errors(client, auth, order_id):
    assert post(client, auth, 999999).status_code == 404
    assert post(client, auth, order_id, status="teleported").status_code == 422
    assert post(client, auth, order_id, surprise=1).status_code == 422
    assert client.post(f"/api/v1/orders/{order_id}/shipments", json={"external_id": "P-1"},
                       headers=auth("analyst")).status_code == 403


def test_stuck_shipment_is_flagged(client, auth, runtime, order_id):
    post(client, auth, order_id, external_id="P-stuck", at=day(0).isoformat())
    post(client, auth, order_id, external_id="P-moving", at=day(6).isoformat())
    post(client, auth, order_id, external_id="P-done", status="delivered", at=day(0).isoformat())
    days = runtime.settings.stuck_shipment_days  # 5 by default
    with runtime.factory() as s:
        assert shipments.flag_stuck(s, day(days - 0.1), days) == []
        flagged = shipments.flag_stuck(s, day(days + 2), days)
        s.commit()
        assert [s.get(Shipment, i).external_id for i in flagged] == ["P-stuck"]
        assert s.get(Shipment, flagged[0]).stuck_since == day(days)  # when it crossed the threshold
        assert shipments.flag_stuck(s, day(days + 3), days) == []  # flagged once
        assert [x.external_id for x in shipments.stuck_shipments(s)] == ["P-stuck"]
    # The parcel moves again: no longer stuck.
    assert post(client, auth, order_id, external_id="P-stuck", at=day(days + 3).isoformat()).json()["stuck_since"] is None


def test_stuck_shipments_job_runs_from_the_worker(client, auth, runtime, order_id):
    post(client, auth, order_id, external_id="P-stuck", at=day(0).isoformat())
    worker = Worker(runtime.factory, runtime.settings, only=["customers.stuck_shipments"])
    assert worker.run_due_jobs(now=day(30)) == ["customers.stuck_shipments"]
    assert worker.run_due_jobs(now=day(30)) == []  # once per period
    with runtime.factory() as s:
        assert s.scalar(select(Shipment.stuck_since)) == day(runtime.settings.stuck_shipment_days)


def test_return_window_counts_from_delivery(client, auth, runtime, order_id):
    with runtime.factory() as s:
        order = s.get(Order, order_id)
        # No shipment data at all: the order date is all there is.
        assert shipments.return_window_open(order, day(6.9)) and not shipments.return_window_open(order, day(7))
    post(client, auth, order_id, at=day(1).isoformat())
    with runtime.factory() as s:
        order = s.get(Order, order_id)
        assert shipments.return_window_open(order, day(30))  # still on its way: the window has not started
    post(client, auth, order_id, status="delivered", at=day(10).isoformat())
    with runtime.factory() as s:
        order = s.get(Order, order_id)
        assert shipments.return_window_open(order, day(16.9))  # 17 days after payment, 6.9 after delivery
        assert not shipments.return_window_open(order, day(17))
        assert shipments.return_window_open(order, day(20), days=15)


def test_window_closes_at_the_last_delivery():
    placed = day(0)
    assert shipments.window_closes_at(placed, [], 7) == day(7)
    assert shipments.window_closes_at(placed, [day(3), None], 7) is None
    assert shipments.window_closes_at(placed, [day(3), day(5)], 7) == day(12)
