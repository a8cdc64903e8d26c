"""Points on the customer 360 and on the member page."""

from __future__ import annotations

import datetime as dt

from guanxi.db import transaction
from guanxi.loyalty import catalogue, points, wallet
from guanxi.staff.roles import SYSTEM

from .forms import post_form
from .test_member import _signed_in_member


def test_the_360_shows_points_and_service_grants_goodwill(staff_client, seed_customer, runtime):
    customer_id = seed_customer()
    client = staff_client("service")
    page = client.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert 'data-section="points"' in page.text and 'id="goodwill-form"' in page.text
    reply = post_form(client, f"/customers/{customer_id}", f"/customers/{customer_id}/points/adjustments",
                      {"points": "120", "reason": "parcel late", "key": "k1"}, follow_redirects=False)
    assert reply.status_code == 303
    page = client.get(f"/customers/{customer_id}").text
    assert "parcel late" in page and "+120" in page
    too_many = post_form(client, f"/customers/{customer_id}", f"/customers/{customer_id}/points/adjustments",
                         {"points": "9000", "reason": "x", "key": "k2"})
    assert too_many.status_code == 403


def test_analysts_see_points_but_no_goodwill_form(staff_client, seed_customer):
    customer_id = seed_customer()
    page = staff_client("analyst").get(f"/customers/{customer_id}").text
    assert 'data-section="points"' in page and 'id="goodwill-form"' not in page


def test_a_member_sees_points_and_redeems_a_reward(client, mailbox, seed_customer, runtime):
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    with transaction(runtime.factory) as session:
        points.adjust(session, customer_id, 300, "welcome", "w", SYSTEM)
        reward = catalogue.add_reward(session, name="Tea sampler", kind="gift", points_cost=200, stock=5)
        catalogue.add_reward(session, name="Silk scarf", kind="gift", points_cost=900)
    page = client.get("/m/")
    assert page.status_code == 200
    assert 'data-section="points"' in page.text and "Tea sampler" in page.text and "600 more points" in page.text
    reply = post_form(client, "/m/", f"/m/rewards/{reward.id}/redemptions", {"key": "r1"}, follow_redirects=False)
    assert reply.status_code == 303
    again = post_form(client, "/m/", f"/m/rewards/{reward.id}/redemptions", {"key": "r1"}, follow_redirects=False)
    assert again.status_code == 303                                   # a double click redeems once
    with runtime.factory() as session:
        assert points.summary(session, customer_id)["available"] == 100
    short = post_form(client, "/m/", f"/m/rewards/{reward.id}/redemptions", {"key": "r2"})
    assert short.status_code == 422


def test_the_member_page_in_chinese(client, mailbox, seed_customer, runtime):
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    with transaction(runtime.factory) as session:
        points.adjust(session, customer_id, 10, "welcome", "w", SYSTEM, now=dt.datetime.now(dt.UTC))
    page = client.get("/m/", headers={"Accept-Language": "zh-CN"}, cookies={"guanxi_locale": "zh-CN"}).text
    assert "我的积分" in page


def test_a_member_sees_event_points_with_their_explanation_and_a_spending_gift(client, mailbox, seed_customer, runtime):
    from guanxi.customers.loyalty_feed import PaidOrder
    from guanxi.loyalty import events, gifts

    customer_id = _signed_in_member(client, mailbox, seed_customer)
    with transaction(runtime.factory) as session:
        catalogue.write_rule(session, "checkin", {"kind": "event", "event": "check_in", "points": 5,
                                                  "label": "Daily check-in"}, True, "test", create=True)
    with transaction(runtime.factory) as session:
        events.record(session, customer_id, "check_in", source="app", external_id="c1")
        reward = catalogue.add_reward(session, name="Silk mask", kind="gift", points_cost=500, stock=3)
        rule = {"kind": "gift", "period": "order", "min_spend_minor": 20000, "currency": "CNY", "reward_id": reward.id,
                "label": "满200送面膜"}
        now = dt.datetime.now(dt.UTC)
        order = PaidOrder(id=77, customer_id=customer_id, placed_at=now, updated_at=now, currency="CNY",
                          total_minor=25800, discount_minor=0, shipping_minor=0, refunded_minor=0, channel=None,
                          store=None, timezone="Asia/Shanghai", first_order=True, lines=())
        assert gifts.consider(session, order, {"m200": rule}, now=now) == 1
    page = client.get("/m/").text
    assert "Daily check-in: +5" in page and "(Check-in)" in page
    assert "Silk mask" in page and "满200送面膜: spent 258.00 CNY in one order" in page and "On its way" in page
    zh = client.get("/m/", cookies={"guanxi_locale": "zh-CN"}).text
    assert "满额赠品" in zh and "待发货" in zh and "签到" in zh


def test_the_360_shows_store_credit_and_service_credits_goodwill_money_within_its_limit(staff_client, seed_customer):
    customer_id = seed_customer()
    client = staff_client("service")
    page = client.get(f"/customers/{customer_id}").text
    assert 'data-section="wallet"' in page and 'id="wallet-goodwill-form"' in page
    url = f"/customers/{customer_id}/wallet/credits"
    reply = post_form(client, f"/customers/{customer_id}", url,
                      {"amount": "12.50", "currency": "CNY", "reason": "broken lid", "key": "w1"},
                      follow_redirects=False)
    assert reply.status_code == 303
    again = post_form(client, f"/customers/{customer_id}", url,
                      {"amount": "12.50", "currency": "CNY", "reason": "broken lid", "key": "w1"},
                      follow_redirects=False)
    assert again.status_code == 303                      # a double submit credits once
    page = client.get(f"/customers/{customer_id}").text
    assert "broken lid" in page and page.count("12.50") >= 2 and "25.00" not in page
    assert post_form(client, f"/customers/{customer_id}", url,
                     {"amount": "50.01", "currency": "CNY", "reason": "x", "key": "w2"}).status_code == 403
    assert post_form(client, f"/customers/{customer_id}", url,
                     {"amount": "12.5.0", "currency": "CNY", "reason": "x", "key": "w3"}).status_code == 422
    analyst = staff_client("analyst").get(f"/customers/{customer_id}").text
    assert 'data-section="wallet"' in analyst and 'id="wallet-goodwill-form"' not in analyst


def test_a_member_sees_their_store_credit(client, mailbox, seed_customer, runtime):
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    with transaction(runtime.factory) as session:
        wallet.credit(session, customer_id, 3000, "CNY", "ref", source="referral", reason="referral reward")
    page = client.get("/m/").text
    assert 'data-section="wallet"' in page and "30.00" in page and "referral reward" in page
