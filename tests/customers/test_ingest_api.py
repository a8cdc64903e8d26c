import concurrent.futures
import copy

from sqlalchemy import func, select

from guanxi.customers.models import Customer, Identity, Order, OrderLine

ORDER = {
    "source": "shop", "external_id": "10001",
    "customer": {"email": "li.na@example.com", "phone": "+8613800138000", "external_id": "u-77"},
    "placed_at": "2026-11-11T10:00:00+08:00", "currency": "CNY", "status": "paid",
    "total_minor": 25800, "discount_minor": 0, "shipping_minor": 0, "channel": "wechat",
    "lines": [{"sku": "LIP-01", "name": "口红 Lipstick", "category": "beauty/lips", "quantity": 2,
               "unit_price_minor": 12900}],
}


def count(runtime, model):
    with runtime.factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_order_is_idempotent_and_status_updates(client, auth, runtime):
    h = auth("tech")
    first = client.post("/api/v1/orders", json=ORDER, headers=h)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/orders", json=ORDER, headers=h)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert count(runtime, Order) == 1 and count(runtime, OrderLine) == 1 and count(runtime, Customer) == 1
    cancelled = {**ORDER, "status": "cancelled"}
    assert client.post("/api/v1/orders", json=cancelled, headers=h).status_code == 200
    with runtime.factory() as s:
        assert s.scalar(select(Order.status)) == "cancelled"


def test_same_person_by_other_identity_writing(client, auth, runtime):
    h = auth("tech")
    client.post("/api/v1/orders", json=ORDER, headers=h)
    other = copy.deepcopy(ORDER)
    other["external_id"] = "10002"
    other["customer"] = {"phone": "138 0013 8000"}  # same number, local format
    reply = client.post("/api/v1/orders", json=other, headers=h)
    assert reply.status_code == 201
    assert reply.json()["customer_id"] == client.post("/api/v1/orders", json=ORDER, headers=h).json()["customer_id"]
    other["external_id"] = "10003"
    other["customer"] = {"email": " LI.NA@EXAMPLE.COM "}
    assert client.post("/api/v1/orders", json=other, headers=h).json()["customer_id"] == reply.json()["customer_id"]
    assert count(runtime, Customer) == 1
    assert count(runtime, Identity) == 3


def test_customer_upsert_and_360(client, auth):
    h = auth("admin")
    body = {"phone": "13900139000", "name": "張偉", "birthday": "--02-29", "city": "上海", "tags": ["vip"]}
    created = client.post("/api/v1/customers", json=body, headers=h)
    assert created.status_code == 201, created.text
    same = client.post("/api/v1/customers", json={"phone": "+86 139 0013 9000", "email": "zw@example.cn"}, headers=h)
    assert same.status_code == 200 and same.json()["id"] == created.json()["id"]
    cid = created.json()["id"]
    full = client.get(f"/api/v1/customers/{cid}", headers=h).json()
    assert full["name"] == "張偉" and full["birthday"] == "--02-29" and not full["masked"]
    assert {i["value"] for i in full["identities"]} == {"+8613900139000", "zw@example.cn"}
    masked = client.get(f"/api/v1/customers/{cid}", headers=auth("analyst")).json()
    assert masked["masked"] and masked["name"] == "張*"
    assert "13900139000" not in str(masked) and "zw@example.cn" not in str(masked)
    # search: exact phone, e-mail, name prefix (Traditional/Simplified both match)
    for q in ("13900139000", "ZW@example.cn", "张", "張偉"):
        items = client.get("/api/v1/customers", params={"q": q}, headers=h).json()["items"]
        assert [i["id"] for i in items] == [cid], q
    assert client.get("/api/v1/customers", params={"q": "王"}, headers=h).json()["items"] == []


def test_customer_figures_and_refunds(client, auth):
    h = auth("admin")
    order = client.post("/api/v1/orders", json=ORDER, headers=h).json()
    too_much = client.post(f"/api/v1/orders/{order['id']}/refunds", json={"external_id": "r1", "amount_minor": 99999},
                           headers=h)
    assert too_much.status_code == 422 and too_much.json()["errors"]
    by_line = client.post(f"/api/v1/orders/{order['id']}/refunds",
                          json={"external_id": "r1", "lines": [{"sku": "LIP-01", "quantity": 1}]}, headers=h)
    assert by_line.status_code == 201 and by_line.json()["amount_minor"] == 12900
    assert by_line.json()["order_status"] == "partially_refunded"
    replay = client.post(f"/api/v1/orders/{order['id']}/refunds",
                         json={"external_id": "r1", "lines": [{"sku": "LIP-01", "quantity": 1}]}, headers=h)
    assert replay.status_code == 200 and replay.json()["id"] == by_line.json()["id"]
    profile = client.get(f"/api/v1/customers/{order['customer_id']}", headers=h).json()
    assert profile["orders_count"] == 1 and profile["orders_total_minor"] == 12900
    kinds = [t["kind"] for t in profile["timeline"]]
    assert "order" in kinds and "refund" in kinds


def test_batch_keeps_good_orders(client, auth, runtime):
    good = [dict(ORDER, external_id=f"b{i}") for i in range(5)]
    bad = dict(ORDER, external_id="bad", total_minor="12abc")
    bad2 = dict(ORDER, external_id="bad2", currency="XXY")
    reply = client.post("/api/v1/orders/batch", json={"orders": [good[0], bad, *good[1:], bad2]}, headers=auth("tech"))
    assert reply.status_code == 200
    statuses = [r["status"] for r in reply.json()["results"]]
    assert statuses == [201, 422, 201, 201, 201, 201, 422]
    assert reply.json()["results"][1]["errors"][0]["loc"] == ["total_minor"]
    assert count(runtime, Order) == 5


def test_events_batch_idempotent(client, auth, runtime):
    events = [{"kind": "page_view", "occurred_at": "2026-11-01T08:00:00Z", "customer": {"email": "e@example.com"},
               "external_id": f"ev{i}", "properties": {"path": "/p/1"}} for i in range(3)]
    events.append({"kind": "teleport", "occurred_at": "2026-11-01T08:00:00Z", "customer_id": 1})
    h = auth("tech")
    first = client.post("/api/v1/events", json={"events": events}, headers=h).json()["results"]
    assert [r["status"] for r in first] == [201, 201, 201, 422]
    second = client.post("/api/v1/events", json={"events": events[:3]}, headers=h).json()["results"]
    assert [r["status"] for r in second] == [200, 200, 200]
    assert [r["id"] for r in second] == [r["id"] for r in first[:3]]


def test_parallel_upserts_of_one_new_phone_make_one_customer(app, make_token, runtime):
    from fastapi.testclient import TestClient

    token = make_token("tech")

    def upsert(i):
        with TestClient(app) as c:
            return c.post("/api/v1/customers", json={"phone": "+8613700137000", "name": f"n{i}"},
                          headers={"Authorization": f"Bearer {token}"}).json()["id"]

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        ids = set(pool.map(upsert, range(10)))
    assert len(ids) == 1
    assert count(runtime, Customer) == 1 and count(runtime, Identity) == 1
