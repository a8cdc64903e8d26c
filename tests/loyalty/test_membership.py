"""Paid membership: renewals from payment webhooks (idempotent), grace, cancellation, expiry, report."""

from __future__ import annotations

import datetime as dt

from guanxi.db import transaction
from guanxi.loyalty import membership
from tests.loyalty.test_points_api import post_order

T = dt.datetime(2026, 1, 31, 12, 0, tzinfo=dt.UTC)


def _plan(client, h):
    r = client.put("/api/v1/loyalty/plans/plus", json={
        "code": "plus", "name": "Plus", "period_months": 1, "price_minor": 1500, "currency": "CNY",
        "trial_days": 7, "grace_days": 5, "benefits": {"free_shipping": True, "earn_multiplier": 2}}, headers=h)
    assert r.status_code == 201, r.text


def test_payments_renew_once_per_webhook_and_lapse_through_grace(client, auth, runtime):
    h = auth("admin")
    _plan(client, h)
    cid = post_order(client, h, "3001")["customer_id"]
    url = f"/api/v1/customers/{cid}/membership/payments"
    body = {"plan_code": "plus", "external_id": "pay-1", "amount_minor": 1500, "currency": "CNY",
            "paid_at": T.isoformat()}
    r = client.post(url, json=body, headers=h)
    assert r.status_code == 201 and r.json()["status"] == "active"
    assert r.json()["period_end"].startswith("2026-02-28")           # 31 January + 1 month
    assert client.post(url, json=body, headers=h).status_code == 200   # the webhook again: nothing extended
    r = client.post(url, json={**body, "external_id": "pay-2", "paid_at": (T + dt.timedelta(days=20)).isoformat()},
                    headers=h)
    assert r.json()["period_end"].startswith("2026-03-28")
    assert client.post(url, json={**body, "external_id": "pay-3", "amount_minor": 100}, headers=h).status_code == 422
    with transaction(runtime.factory) as session:
        assert membership.benefits_of(session, cid)["free_shipping"] is True
        assert membership.advance(session, dt.datetime(2026, 3, 29, tzinfo=dt.UTC)) == {"grace": 1, "expired": 0}
        assert membership.benefits_of(session, cid)                       # benefits kept in grace
        assert membership.advance(session, dt.datetime(2026, 4, 3, tzinfo=dt.UTC)) == {"grace": 0, "expired": 1}
        assert membership.benefits_of(session, cid) == {}
        report = membership.report(session, T - dt.timedelta(days=1))
    assert report["revenue_minor"] == {"CNY": 3000} and report["members"] == {"expired": 1}


def test_cancelled_keeps_benefits_to_the_end_of_the_paid_period(client, auth, runtime):
    h = auth("admin")
    _plan(client, h)
    cid = post_order(client, h, "3002")["customer_id"]
    client.post(f"/api/v1/customers/{cid}/membership/payments", json={
        "plan_code": "plus", "external_id": "pay-9", "amount_minor": 1500, "currency": "CNY",
        "paid_at": T.isoformat()}, headers=h)
    r = client.post(f"/api/v1/customers/{cid}/membership/cancellation", headers=h)
    assert r.json()["status"] == "cancelled"
    with transaction(runtime.factory) as session:
        assert membership.benefits_of(session, cid)
        membership.advance(session, dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
        assert membership.benefits_of(session, cid) == {}
    assert client.get(f"/api/v1/customers/{cid}/membership", headers=h).json()["status"] == "expired"


def test_a_trial_then_a_payment(client, auth, runtime):
    h = auth("admin")
    _plan(client, h)
    cid = post_order(client, h, "3003")["customer_id"]
    with transaction(runtime.factory) as session:
        sub = membership.start_trial(session, cid, "plus", now=T)
        assert sub.status == "trial" and sub.period_end == T + dt.timedelta(days=7)
        sub, _ = membership.record_payment(session, cid, "plus", "pay-t", 1500, "CNY", paid_at=T + dt.timedelta(days=3))
        assert sub.status == "active" and sub.period_end.date() == dt.date(2026, 3, 3)  # from the payment
