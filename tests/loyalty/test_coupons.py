"""Coupon codes: the constraints against a cart (pure), and validate/consume through the API on both backends."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from guanxi.db import transaction, utcnow
from guanxi.errors import Conflict, Invalid
from guanxi.loyalty import coupons, points
from guanxi.loyalty.coupons import Cart, CartLine, Coupon
from guanxi.loyalty.models import CouponUse
from guanxi.staff.roles import SYSTEM
from tests.loyalty.test_points_api import post_order

CART = Cart("CNY", (CartLine("LIP-01", 2, 10000, "beauty/lips"), CartLine("TEA-01", 1, 5000, "food/tea")),
            shipping_minor=1200)


@pytest.mark.parametrize("coupon, discount, free, problem", [
    (Coupon("fixed", amount_minor=3000, currency="CNY"), 3000, False, None),
    (Coupon("fixed", amount_minor=90000, currency="CNY"), 25000, False, None),           # never more than the cart
    (Coupon("fixed", amount_minor=3000, currency="USD"), 0, False, "in USD"),
    (Coupon("percent", percent=15), 3750, False, None),                                  # 15% of 25000
    (Coupon("percent", percent=15, cap_minor=2000), 2000, False, None),                  # capped
    (Coupon("percent", percent=33, categories=("beauty",)), 6600, False, None),          # 33% of the 20000 of beauty
    (Coupon("percent", percent=10, categories=("beauty/lip",)), 0, False, "no item"),    # a prefix is a whole name
    (Coupon("free_shipping"), 1200, True, None),
    (Coupon("free_shipping", currency="CNY", min_spend_minor=25001), 0, False, "at least 25001"),
    (Coupon("fixed", amount_minor=1000, currency="CNY", categories=("food",), min_spend_minor=5000), 1000, False,
     None),                                                                              # the minimum is met exactly
])
def test_evaluate_applies_each_kind_of_constraint(coupon, discount, free, problem):
    out = coupons.evaluate(coupon, CART)
    assert (out.discount_minor, out.free_shipping) == (discount, free)
    assert (problem is None and out.problems == []) or (problem is not None and problem in out.problems[0])


@pytest.mark.parametrize("details, message", [
    ({}, "needs details.coupon"),
    ({"coupon": {"type": "bogo"}}, "fixed, percent or free_shipping"),
    ({"coupon": {"type": "fixed", "amount_minor": 100}}, "needs amount_minor > 0 and a currency"),
    ({"coupon": {"type": "percent", "percent": 120}}, "from 0 to 100"),
    ({"coupon": {"type": "percent", "percent": 0}}, "from 1 to 100"),
    ({"coupon": {"type": "percent", "percent": 10, "cap_minor": 1.5}}, "whole number"),
    ({"coupon": {"type": "free_shipping", "min_spend_minor": 100}}, "needs the coupon's currency"),
    ({"coupon": {"type": "free_shipping", "colour": "red"}}, "unknown coupon fields: colour"),
    ({"coupon": {"type": "fixed", "amount_minor": 100, "currency": "RMB"}}, "not an ISO 4217"),
])
def test_parse_refuses_incomplete_or_wrong_coupons(details, message):
    with pytest.raises(Invalid, match=message):
        coupons.parse(details)


def _setup(client, auth, runtime, coupon: dict, *, email="li.na@example.com", key="r1"):
    h = auth("admin")
    cid = post_order(client, h, f"c-{email}", email=email)["customer_id"]
    r = client.post("/api/v1/loyalty/rewards", headers=h,
                    json={"name": "¥30 off", "kind": "coupon", "points_cost": 300, "details": {"coupon": coupon}})
    assert r.status_code == 201, r.text
    with transaction(runtime.factory) as session:
        points.adjust(session, cid, 1000, "seed", f"seed-{key}", SYSTEM)
    r = client.post(f"/api/v1/customers/{cid}/points/redemptions", headers=h,
                    json={"reward_id": r.json()["id"], "idempotency_key": key})
    assert r.status_code == 201, r.text
    return h, cid, r.json()["code"]


def _cart(total=25000, category="beauty/lips"):
    return {"currency": "CNY", "shipping_minor": 1000,
            "lines": [{"sku": "LIP-01", "quantity": 1, "unit_price_minor": total, "category": category}]}


def test_a_coupon_redemption_issues_a_code_checkout_validates_and_consumes_it_once(client, auth, runtime):
    h, cid, code = _setup(client, auth, runtime, {"type": "percent", "percent": 20, "cap_minor": 3000,
                                                  "categories": ["beauty"], "min_spend_minor": 10000,
                                                  "currency": "CNY"})
    assert code and len(code) == 12
    v = client.post("/api/v1/coupons/validations", headers=h, json={"code": code.lower(), "customer_id": cid,
                                                                    "cart": _cart(12000)}).json()
    assert (v["valid"], v["discount_minor"], v["customer_id"], v["problems"]) == (True, 2400, cid, [])
    v = client.post("/api/v1/coupons/validations", headers=h, json={"code": code, "cart": _cart(9000)}).json()
    assert v["valid"] is False and "at least 10000" in v["problems"][0]
    url = f"/api/v1/coupons/{code}/consumption"
    first = client.post(url, headers=h, json={"customer_id": cid, "order_ref": "SO-1", "cart": _cart(50000)})
    assert first.status_code == 201 and first.json()["discount_minor"] == 3000   # capped
    again = client.post(url, headers=h, json={"customer_id": cid, "order_ref": "SO-1", "cart": _cart(50000)})
    assert again.status_code == 200 and again.json()["at"] == first.json()["at"]
    other = client.post(url, headers=h, json={"customer_id": cid, "order_ref": "SO-2", "cart": _cart(50000)})
    assert other.status_code == 409 and "used by order SO-1" in other.json()["detail"]
    v = client.post("/api/v1/coupons/validations", headers=h, json={"code": code, "cart": _cart()}).json()
    assert v["valid"] is False and v["used_by_order"] == "SO-1"


def test_consume_refuses_another_members_code_an_expired_code_and_a_cart_that_does_not_qualify(client, auth,
                                                                                                runtime):
    h, cid, code = _setup(client, auth, runtime, {"type": "fixed", "amount_minor": 3000, "currency": "CNY",
                                                  "valid_days": 30})
    stranger = post_order(client, h, "other", email="wang.wei@example.com")["customer_id"]
    url = f"/api/v1/coupons/{code}/consumption"
    r = client.post(url, headers=h, json={"customer_id": stranger, "order_ref": "SO-1", "cart": _cart()})
    assert r.status_code == 409 and "another member" in r.json()["detail"]
    r = client.post(url, headers=h, json={"customer_id": cid, "order_ref": "SO-1",
                                          "cart": {**_cart(), "currency": "USD"}})
    assert r.status_code == 409 and "in CNY" in r.json()["detail"]
    with runtime.factory() as session:
        later = utcnow() + dt.timedelta(days=31)
        checked = coupons.check(session, code, cid, coupons.Cart("CNY", (CartLine("A", 1, 9000),)), now=later)
        assert not checked.valid and "expired" in checked.outcome.problems[0]
    assert client.post("/api/v1/coupons/NOPE1234/consumption", headers=h,
                       json={"customer_id": cid, "order_ref": "SO-1", "cart": _cart()}).status_code == 404
    assert client.post(url, headers=h, json={"customer_id": cid, "order_ref": "SO-1",
                                             "cart": {"currency": "CNY", "lines": []}}).status_code == 422
    assert client.post(url, headers=auth("analyst"),
                       json={"customer_id": cid, "order_ref": "SO-1", "cart": _cart()}).status_code == 403


def test_a_reserved_redemptions_code_is_not_usable_until_confirmed_and_never_after_cancel(client, auth, runtime):
    h, cid, _ = _setup(client, auth, runtime, {"type": "free_shipping"})
    reward_id = client.get("/api/v1/loyalty/rewards", headers=h).json()[0]["id"]
    r = client.post(f"/api/v1/customers/{cid}/points/redemptions", headers=h,
                    json={"reward_id": reward_id, "idempotency_key": "held", "reserve": True}).json()
    v = client.post("/api/v1/coupons/validations", headers=h, json={"code": r["code"], "cart": _cart()}).json()
    assert v["valid"] is False and "reserved" in v["problems"][0]
    client.post(f"/api/v1/customers/{cid}/points/redemptions/{r['id']}/confirmation", headers=h)
    v = client.post("/api/v1/coupons/validations", headers=h, json={"code": r["code"], "cart": _cart()}).json()
    assert (v["valid"], v["free_shipping"], v["discount_minor"]) == (True, True, 1000)


def test_a_coupon_reward_with_bad_details_is_refused_with_the_reason(client, auth):
    r = client.post("/api/v1/loyalty/rewards", headers=auth("admin"),
                    json={"name": "broken", "kind": "coupon", "points_cost": 100,
                          "details": {"coupon": {"type": "percent", "percent": 150}}})
    assert r.status_code == 422 and "from 0 to 100" in r.json()["detail"]


def test_two_orders_consuming_one_code_at_once_exactly_one_wins(client, auth, runtime):
    h, cid, code = _setup(client, auth, runtime, {"type": "fixed", "amount_minor": 1000, "currency": "CNY"})
    barrier = threading.Barrier(2)
    cart = coupons.Cart("CNY", (CartLine("A", 1, 9000),))

    def use(order: str) -> str:
        barrier.wait()
        try:
            with transaction(runtime.factory) as session:
                coupons.consume(session, code, cid, order, cart)
            return "ok"
        except Conflict:
            return "409"

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(use, ["SO-A", "SO-B"])) == ["409", "ok"]
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(CouponUse)) == 1
