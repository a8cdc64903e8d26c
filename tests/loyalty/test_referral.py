"""Referral: both sides rewarded after the friend's first order passes its return window; fraud held."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.db import transaction, utcnow
from guanxi.loyalty import referral
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
