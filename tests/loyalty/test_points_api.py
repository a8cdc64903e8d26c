"""Points through the API and the jobs, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.db import transaction, utcnow
from guanxi.loyalty import earning, store, tiers

T = dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)


def post_order(client, headers, ext, *, total=25800, shipping=0, email="li.na@example.com", placed_at=None,
               lines=None, status="paid"):
    body = {"source": "shop", "external_id": ext, "customer": {"email": email},
            "placed_at": (placed_at or utcnow() - dt.timedelta(hours=1)).isoformat(), "currency": "CNY",
            "status": status, "total_minor": total, "discount_minor": 0, "shipping_minor": shipping,
            "channel": "wechat",
            "lines": lines or [{"sku": "LIP-01", "name": "Lipstick", "category": "beauty/lips", "quantity": 2,
                                "unit_price_minor": (total - shipping) // 2}]}
    r = client.post("/api/v1/orders", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()


def run_feed(runtime, now=None):
    now = now or utcnow()
    out = earning.credit_paid_orders(runtime.factory, now=now)
    out.update(earning.reverse_refunds(runtime.factory, now=now))
    out.update(earning.release_pending(runtime.factory, now=now))
    return out


def points(client, headers, cid):
    r = client.get(f"/api/v1/customers/{cid}/points", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def verify(runtime):
    with runtime.factory() as session:
        assert store.verify(session) == []


def test_a_paid_order_earns_pending_points_that_become_available_after_the_return_window(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1001")
    assert run_feed(runtime)["orders_credited"] == 1
    assert run_feed(runtime)["orders_credited"] == 0           # the job is safe to run again
    p = points(client, h, o["customer_id"])
    assert (p["available"], p["pending"], p["locked"], p["tier"]) == (0, 258, 0, None)
    run_feed(runtime, utcnow() + dt.timedelta(days=8))
    p = points(client, h, o["customer_id"])
    assert (p["available"], p["pending"]) == (258, 0)
    verify(runtime)


def test_paid_then_fully_refunded_inside_the_window_never_becomes_available(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1002")
    run_feed(runtime)
    r = client.post(f"/api/v1/orders/{o['id']}/refunds", json={"external_id": "rf-1", "amount_minor": 25800}, headers=h)
    assert r.status_code == 201, r.text
    run_feed(runtime, utcnow() + dt.timedelta(days=2))
    run_feed(runtime, utcnow() + dt.timedelta(days=30))
    p = points(client, h, o["customer_id"])
    assert (p["available"], p["pending"]) == (0, 0)
    verify(runtime)


def test_partial_refund_after_partial_spending_goes_into_debt_that_later_orders_repay(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1003", total=10000)
    run_feed(runtime, utcnow() + dt.timedelta(days=8))            # 100 points, available
    r = client.post(f"/api/v1/customers/{o['customer_id']}/points/redemptions",
                    json={"points": 80, "idempotency_key": "cart-1"}, headers=h)
    assert r.status_code == 201, r.text
    client.post(f"/api/v1/orders/{o['id']}/refunds", json={"external_id": "rf-2", "amount_minor": 5000}, headers=h)
    run_feed(runtime, utcnow() + dt.timedelta(days=9))
    p = points(client, h, o["customer_id"])
    assert (p["available"], p["debt"]) == (-30, 30)               # 20 left in the lot, 30 owed
    post_order(client, h, "1004", total=5000)
    run_feed(runtime, utcnow() + dt.timedelta(days=20))
    p = points(client, h, o["customer_id"])
    assert (p["available"], p["debt"]) == (20, 0)
    verify(runtime)


def test_duplicate_webhooks_credit_once(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1005")
    post_order(client, h, "1005")
    run_feed(runtime)
    with runtime.factory() as session:
        for order in earning.loyalty_feed.paid_orders(session)[0]:  # replaying the same facts changes nothing
            assert earning.credit_order(session, order, earning.RuleBook(session), now=utcnow()) == 0
    assert points(client, h, o["customer_id"])["pending"] == 258


def test_an_order_paid_after_the_feed_went_by_is_credited_on_the_next_run(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1030", status="pending")
    post_order(client, h, "1031", email="other@example.com")
    assert run_feed(runtime)["orders_credited"] == 1
    post_order(client, h, "1030", status="paid")
    assert run_feed(runtime)["orders_credited"] == 1
    assert points(client, h, o["customer_id"])["pending"] == 258
    assert run_feed(runtime)["orders_credited"] == 0


def test_adjustments_are_limited_by_role_idempotent_and_audited(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1006")
    cid = o["customer_id"]
    url = f"/api/v1/customers/{cid}/points/adjustments"
    service = auth("service")
    r = client.post(url, json={"points": 600, "reason": "late parcel", "idempotency_key": "t-1"}, headers=service)
    assert r.status_code == 403
    r = client.post(url, json={"points": 300, "reason": "late parcel", "idempotency_key": "t-1"}, headers=service)
    assert r.status_code == 201 and r.json()["available"] == 300
    again = client.post(url, json={"points": 300, "reason": "late parcel", "idempotency_key": "t-1"}, headers=service)
    assert again.status_code == 200 and again.json()["entry_id"] == r.json()["entry_id"]
    r = client.post(url, json={"points": -100, "reason": "correction", "idempotency_key": "t-2"}, headers=service)
    assert r.status_code == 201 and r.json()["available"] == 200
    assert client.post(url, json={"points": 5, "reason": "x", "idempotency_key": "t-3"},
                       headers=auth("analyst")).status_code == 403
    audit = client.get("/api/v1/audit", headers=h, params={"kind": "points_adjusted"}).json()
    items = audit["items"] if isinstance(audit, dict) else audit
    assert sum(1 for a in items if a["kind"] == "points_adjusted") == 2
    verify(runtime)


def test_redemptions_by_points_and_by_reward(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1007")
    cid = o["customer_id"]
    client.post(f"/api/v1/customers/{cid}/points/adjustments",
                json={"points": 500, "reason": "welcome", "idempotency_key": "w"}, headers=h)
    reward = client.post("/api/v1/loyalty/rewards", json={"name": "Tote bag", "kind": "gift", "points_cost": 200,
                                                           "stock": 1}, headers=h).json()
    url = f"/api/v1/customers/{cid}/points/redemptions"
    r = client.post(url, json={"reward_id": reward["id"], "idempotency_key": "k1"}, headers=h)
    assert r.status_code == 201 and r.json()["code"] and r.json()["points"] == 200
    r = client.post(url, json={"reward_id": reward["id"], "idempotency_key": "k2"}, headers=h)
    assert r.status_code == 409                                   # out of stock
    r = client.post(url, json={"points": 301, "idempotency_key": "k3"}, headers=h)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Insufficient points"
    r = client.post(url, json={"points": 300, "idempotency_key": "k4", "reserve": True}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "reserved"
    assert points(client, h, cid)["locked"] == 300
    r = client.post(f"{url}/{r.json()['id']}/cancellation", headers=h)
    assert r.json()["status"] == "cancelled"
    p = points(client, h, cid)
    assert (p["available"], p["locked"]) == (300, 0)
    assert client.post(url, json={"points": 1, "reward_id": 1, "idempotency_key": "k"}, headers=h).status_code == 422
    verify(runtime)


def test_expiry_job_at_the_members_midnight_and_verify(client, auth, runtime):
    h = auth("admin")
    o = post_order(client, h, "1008")
    cid = o["customer_id"]
    client.post(f"/api/v1/customers/{cid}/points/adjustments",
                json={"points": 50, "reason": "welcome", "idempotency_key": "w"}, headers=h)
    with runtime.factory() as session:
        lot = store.open_lots(session, cid)[0]
        at = lot.expires_at
    assert at.astimezone(dt.timezone(dt.timedelta(hours=8))).time() == dt.time(0)  # Asia/Shanghai midnight
    assert earning.expire_points(runtime.factory, now=at - dt.timedelta(seconds=1))["lots_expired"] == 0
    assert earning.expire_points(runtime.factory, now=at)["points_expired"] == 50
    assert earning.expire_points(runtime.factory, now=at)["lots_expired"] == 0
    assert points(client, h, cid)["available"] == 0
    verify(runtime)


def test_rules_are_versioned_and_the_version_at_order_time_applies(client, auth, runtime):
    h = auth("operations")
    r = client.post("/api/v1/loyalty/rules", json={"name": "base", "definition": {
        "kind": "base", "points_per_unit": 1, "unit_minor": 100}}, headers=h)
    assert r.status_code == 201, r.text
    o = post_order(client, auth("admin"), "1009", placed_at=utcnow())   # placed under version 1
    r = client.put("/api/v1/loyalty/rules/base", json={"definition": {
        "kind": "base", "points_per_unit": 10, "unit_minor": 100}}, headers=h)
    assert r.json()["version"] == 2
    run_feed(runtime)
    assert points(client, h, o["customer_id"])["pending"] == 258
    assert client.post("/api/v1/loyalty/rules", json={"name": "x", "definition": {"kind": "bonus"}},
                       headers=h).status_code == 422
    assert client.get("/api/v1/loyalty/rules", headers=auth("service")).status_code == 403
    assert [v["version"] for v in client.get("/api/v1/loyalty/rules/base", headers=h).json()] == [1, 2]
    r = client.post("/api/v1/loyalty/previews", json={"total_minor": 1000}, headers=auth("admin"))
    assert r.json()["points"] == 100


def test_tiers_upgrade_at_once_and_downgrade_one_step_at_evaluation(client, auth, runtime):
    h = auth("admin")
    for code, rank, spend in [("silver", 1, 10000), ("gold", 2, 50000), ("black", 3, 100000)]:
        r = client.put(f"/api/v1/loyalty/tiers/{code}", json={"code": code, "name": code.title(), "rank": rank,
                                                              "min_spend_minor": spend}, headers=h)
        assert r.status_code == 201, r.text
    o = post_order(client, h, "1010", total=120000)
    run_feed(runtime)
    cid = o["customer_id"]
    assert points(client, h, cid)["tier"] == "black"          # upgraded at once, on spend, not on the balance
    later = utcnow() + dt.timedelta(days=400)
    assert tiers.evaluate_all(runtime.factory, now=later)["changed"] == 1
    assert points(client, h, cid)["tier"] == "gold"           # one step down per evaluation
    tiers.evaluate_all(runtime.factory, now=later)
    assert points(client, h, cid)["tier"] == "silver"


def test_tier_window_in_a_leap_year():
    now = dt.datetime(2028, 2, 29, 12, 0, tzinfo=dt.UTC)
    assert tiers.window_start(now, 12) == dt.datetime(2027, 2, 28, tzinfo=dt.UTC)
    assert tiers.window_start(dt.datetime(2029, 3, 1, tzinfo=dt.UTC), 12) == dt.datetime(2028, 3, 1, tzinfo=dt.UTC)


def test_a_merge_moves_points_and_an_unmerge_moves_them_back(client, auth, runtime):
    h = auth("admin")
    a = post_order(client, h, "1011", email="a@example.com")["customer_id"]
    b = post_order(client, h, "1012", email="b@example.com")["customer_id"]
    for cid in (a, b):
        client.post(f"/api/v1/customers/{cid}/points/adjustments",
                    json={"points": 100, "reason": "w", "idempotency_key": "w"}, headers=h)
    from guanxi.customers import merging
    from guanxi.staff.roles import SYSTEM

    with transaction(runtime.factory) as session:
        merge_id = merging.merge(session, a, b, SYSTEM).id
    assert points(client, h, a)["available"] == 200
    verify(runtime)
    with transaction(runtime.factory) as session:
        merging.unmerge(session, merge_id, SYSTEM)
    assert points(client, h, a)["available"] == 100 and points(client, h, b)["available"] == 100
    verify(runtime)


def test_timeline_and_export_show_points(client, auth, runtime):
    h = auth("admin")
    cid = post_order(client, h, "1013")["customer_id"]
    client.post(f"/api/v1/customers/{cid}/points/adjustments",
                json={"points": 10, "reason": "sorry", "idempotency_key": "s"}, headers=h)
    from guanxi.customers import hooks

    with runtime.factory() as session:
        items = hooks.timeline_sources["loyalty"](session, cid, 10)
        exported = hooks.exporters["loyalty"](session, cid)
    assert items[0]["summary"] == "+10 points (goodwill): sorry"
    assert exported["balance"]["available"] == 10 and exported["entries"][0]["reason"] == "sorry"


@pytest.mark.parametrize("role, status", [("analyst", 200), ("content", 403)])
def test_points_are_read_with_customers_read(client, auth, role, status):
    cid = post_order(client, auth("admin"), "1014")["customer_id"]
    assert client.get(f"/api/v1/customers/{cid}/points", headers=auth(role)).status_code == status


def test_a_refund_by_lines_takes_back_the_points_those_lines_earned(client, auth, runtime):
    h = auth("operations")
    client.post("/api/v1/loyalty/rules", json={"name": "base", "definition": {"kind": "base"}}, headers=h)
    client.post("/api/v1/loyalty/rules", json={"name": "beauty", "definition": {
        "kind": "multiplier", "factor": 3, "when": {"category": "beauty"}}}, headers=h)
    admin = auth("admin")
    o = post_order(client, admin, "1020", total=20000, placed_at=utcnow() + dt.timedelta(seconds=1), lines=[
        {"sku": "LIP-01", "name": "Lipstick", "category": "beauty/lips", "quantity": 2, "unit_price_minor": 5000},
        {"sku": "TEA-01", "name": "Tea", "category": "food/tea", "quantity": 1, "unit_price_minor": 10000}])
    run_feed(runtime, utcnow() + dt.timedelta(seconds=2))
    assert points(client, admin, o["customer_id"])["pending"] == 400        # 300 lipstick + 100 tea
    r = client.post(f"/api/v1/orders/{o['id']}/refunds", json={"external_id": "rl-1", "lines": [
        {"sku": "LIP-01", "quantity": 1}]}, headers=admin)
    assert r.status_code == 201, r.text
    run_feed(runtime, utcnow() + dt.timedelta(seconds=3))
    assert points(client, admin, o["customer_id"])["pending"] == 250        # one lipstick: 150 back, not 100
    verify(runtime)


def test_reports_show_liability_flow_and_rewards(client, auth, runtime):
    h = auth("admin")
    cid = post_order(client, h, "1040", total=10000)["customer_id"]
    run_feed(runtime)
    client.post(f"/api/v1/customers/{cid}/points/adjustments",
                json={"points": 300, "reason": "w", "idempotency_key": "w"}, headers=h)
    reward = client.post("/api/v1/loyalty/rewards", json={"name": "Cup", "kind": "gift", "points_cost": 120},
                         headers=h).json()
    client.post(f"/api/v1/customers/{cid}/points/redemptions", json={"reward_id": reward["id"],
                                                                      "idempotency_key": "r"}, headers=h)
    r = client.get("/api/v1/loyalty/reports", params={"value_per_point_minor": 1}, headers=auth("operations"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["liability"] == {"members": 1, "available": 180, "pending": 100, "debt": 0, "outstanding": 280,
                                 "value_minor": 280}
    month = body["monthly"][-1]
    assert (month["redeemed"], month["adjusted"]) == (120, 300)
    assert body["top_rewards"][0]["name"] == "Cup"
    assert client.get("/api/v1/loyalty/reports", headers=auth("service")).status_code == 403
