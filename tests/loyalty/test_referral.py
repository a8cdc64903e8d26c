"""Referral: both sides rewarded after the friend's first order passes its return window; fraud held."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from guanxi.db import transaction, utcnow
from guanxi.loyalty import referral
from guanxi.loyalty.models import Redemption
from guanxi.loyalty.referral import HELD, REJECTED, Signals, screen
from tests.loyalty.test_points_api import points, post_order, run_feed, verify


@pytest.mark.parametrize("signals, status", [
    (Signals(False, False, False, 0, False), "attributed"),
    (Signals(True, False, False, 0, False), REJECTED),
    (Signals(False, False, True, 0, False), REJECTED),
    (Signals(False, True, False, 0, False), HELD),
    (Signals(False, False, False, 0, True), HELD),
    (Signals(False, False, False, 5, False), HELD),
])
def test_screening(signals, status):
    assert screen(signals)[0] == status


def _customer(client, headers, email):
    r = client.post("/api/v1/customers", json={"email": email}, headers=headers)
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def test_both_rewarded_once_the_friends_first_order_is_past_its_return_window(client, auth, runtime):
    h = auth("admin")
    referrer = post_order(client, h, "2001", email="ref@example.com")["customer_id"]
    code = client.get(f"/api/v1/customers/{referrer}/referral", headers=h).json()["code"]
    friend = _customer(client, h, "friend@example.com")
    r = client.post("/api/v1/referrals", json={"code": code, "customer_id": friend,
                                               "fingerprints": {"device": "d-1"}}, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "attributed", r.text
    again = client.post("/api/v1/referrals", json={"code": code, "customer_id": friend}, headers=h)
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    assert referral.reward_due(runtime.factory, now=utcnow())["referrals_rewarded"] == 0   # no order yet
    post_order(client, h, "2002", email="friend@example.com")
    run_feed(runtime)
    assert referral.reward_due(runtime.factory, now=utcnow())["referrals_rewarded"] == 0   # window still open
    later = utcnow() + dt.timedelta(days=8)
    assert referral.reward_due(runtime.factory, now=later)["referrals_rewarded"] == 1
    assert referral.reward_due(runtime.factory, now=later)["referrals_rewarded"] == 0
    assert points(client, h, friend)["available"] == 200
    assert points(client, h, referrer)["available"] == 500
    verify(runtime)


def test_self_referral_and_reused_devices_are_not_rewarded(client, auth, runtime):
    h = auth("admin")
    referrer = post_order(client, h, "2003", email="ref2@example.com")["customer_id"]
    code = client.get(f"/api/v1/customers/{referrer}/referral", headers=h).json()["code"]
    r = client.post("/api/v1/referrals", json={"code": code, "customer_id": referrer}, headers=h)
    assert r.json()["status"] == "rejected" and r.json()["reason"] == "self-referral"
    a = _customer(client, h, "a@example.com")
    b = _customer(client, h, "b@example.com")
    client.post("/api/v1/referrals", json={"code": code, "customer_id": a, "fingerprints": {"payment": "card-9"}},
                headers=h)
    r = client.post("/api/v1/referrals", json={"code": code, "customer_id": b, "fingerprints": {"payment": "card-9"}},
                    headers=h)
    assert r.json()["status"] == "held"


def test_a_friend_merged_into_the_referrer_later_is_rejected_at_reward_time(client, auth, runtime):
    h = auth("admin")
    referrer = post_order(client, h, "2004", email="ref3@example.com")["customer_id"]
    code = client.get(f"/api/v1/customers/{referrer}/referral", headers=h).json()["code"]
    friend = _customer(client, h, "alt@example.com")
    client.post("/api/v1/referrals", json={"code": code, "customer_id": friend}, headers=h)
    post_order(client, h, "2005", email="alt@example.com")
    from guanxi.customers import merging
    from guanxi.staff.roles import SYSTEM

    with transaction(runtime.factory) as session:
        merging.merge(session, referrer, friend, SYSTEM)
    result = referral.reward_due(runtime.factory, now=utcnow() + dt.timedelta(days=8))
    assert result == {"referrals_rewarded": 0, "referrals_rejected": 1}


def _rewarded_pair(client, auth, runtime, n: str):
    h = auth("admin")
    referrer = post_order(client, h, f"{n}-r", email=f"ref{n}@example.com")["customer_id"]
    code = client.get(f"/api/v1/customers/{referrer}/referral", headers=h).json()["code"]
    friend = _customer(client, h, f"friend{n}@example.com")
    client.post("/api/v1/referrals", json={"code": code, "customer_id": friend}, headers=h)
    post_order(client, h, f"{n}-f", email=f"friend{n}@example.com")
    run_feed(runtime)
    later = utcnow() + dt.timedelta(days=8)
    assert referral.reward_due(runtime.factory, now=later)["referrals_rewarded"] == 1
    assert referral.reward_due(runtime.factory, now=later)["referrals_rewarded"] == 0   # paid once
    return h, referrer, friend


def test_referrals_can_pay_in_store_credit(client, auth, runtime):
    h = auth("admin")
    r = client.patch("/api/v1/loyalty/settings", headers=h,
                     json={"referral_reward": "credit", "referrer_credit_minor": 2000, "friend_credit_minor": 1000,
                           "credit_currency": "CNY"})
    assert r.status_code == 200 and r.json()["referral_reward"] == "credit", r.text
    h, referrer, friend = _rewarded_pair(client, auth, runtime, "3001")
    assert client.get(f"/api/v1/customers/{referrer}/wallet", headers=h).json()["balances"] == [
        {"currency": "CNY", "balance_minor": 2000}]
    friend_wallet = client.get(f"/api/v1/customers/{friend}/wallet", headers=h).json()
    assert friend_wallet["balances"][0]["balance_minor"] == 1000
    assert friend_wallet["entries"][0]["source"] == "referral"
    assert points(client, h, friend)["available"] == 0        # not in points as well


def test_referrals_can_pay_in_coupons_and_the_setting_must_name_a_coupon_reward(client, auth, runtime):
    h = auth("admin")
    assert client.get("/api/v1/loyalty/settings", headers=h).json()["referral_reward"] == "points"
    bad = client.patch("/api/v1/loyalty/settings", headers=h, json={"referral_reward": "coupon"})
    assert bad.status_code == 422 and "referral_coupon_id" in bad.json()["detail"]
    reward = client.post("/api/v1/loyalty/rewards", headers=h, json={
        "name": "Friend ¥20", "kind": "coupon", "points_cost": 1,
        "details": {"coupon": {"type": "fixed", "amount_minor": 2000, "currency": "CNY"}}}).json()
    assert client.patch("/api/v1/loyalty/settings", headers=h, json={
        "referral_reward": "coupon", "referral_coupon_id": reward["id"]}).status_code == 200
    h, referrer, friend = _rewarded_pair(client, auth, runtime, "3002")
    with runtime.factory() as session:
        given = session.scalars(select(Redemption).where(Redemption.reward_id == reward["id"])).all()
    assert sorted(g.customer_id for g in given) == sorted([referrer, friend])
    assert all(g.points == 0 and g.status == "confirmed" and g.code for g in given)
    v = client.post("/api/v1/coupons/validations", headers=h, json={
        "code": given[0].code, "customer_id": given[0].customer_id,
        "cart": {"currency": "CNY", "lines": [{"sku": "A", "quantity": 1, "unit_price_minor": 5000}]}}).json()
    assert v["valid"] and v["discount_minor"] == 2000
