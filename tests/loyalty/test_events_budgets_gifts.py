"""Event rules, campaign budgets and spend-threshold gifts on storage and through the API (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from guanxi.db import transaction, utcnow
from guanxi.loyalty import earning, events, gifts
from guanxi.loyalty.models import EarningRule, GiftGrant, Reward, RuleBudget
from guanxi.privacy.models import AdminAlert
from tests.loyalty.test_points_api import points, post_order, verify

LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def add_rule(client, h, runtime, name, definition, *, since=LONG_AGO):
    """A rule made through the API, dated `since` (events and orders use the rule in force when they happened)."""
    r = client.post("/api/v1/loyalty/rules", json={"name": name, "definition": definition}, headers=h)
    assert r.status_code == 201, r.text
    with transaction(runtime.factory) as s:
        s.execute(update(EarningRule).where(EarningRule.name == name).values(created_at=since))


def customer(client, h, email, **profile):
    r = client.post("/api/v1/customers", json={"email": email, **profile}, headers=h)
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def event(client, h, cid, kind, ext, at=None, source="shop"):
    body = {"customer_id": cid, "kind": kind, "source": source, "external_id": ext}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    return client.post("/api/v1/loyalty/events", json=body, headers=h)


def test_an_event_delivered_twice_is_credited_once_with_its_explanation(client, auth, runtime):
    h = auth("admin")
    add_rule(client, h, runtime, "welcome", {"kind": "event", "event": "sign_up", "points": 100, "label": "Welcome"})
    cid = customer(client, h, "wang@example.com")
    first = event(client, h, cid, "sign_up", "signup-1")
    assert first.status_code == 201, first.text
    assert (first.json()["points"], first.json()["explanations"]) == (100, ["Welcome: +100"])
    again = event(client, h, cid, "sign_up", "signup-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert points(client, h, cid)["available"] == 100
    listed = client.get(f"/api/v1/customers/{cid}/points/events", headers=h).json()
    assert [e["external_id"] for e in listed] == ["signup-1"]
    verify(runtime)


def test_bad_events_are_refused_with_the_reason(client, auth, runtime):
    h = auth("admin")
    cid = customer(client, h, "zhao@example.com")
    assert event(client, h, cid, "dance", "x").status_code == 422
    assert event(client, h, 10**9, "share", "x").status_code == 404
    future = event(client, h, cid, "share", "x", at=utcnow() + dt.timedelta(days=1))
    assert future.status_code == 422 and "future" in future.text
    assert client.post("/api/v1/loyalty/events", json={"customer_id": cid, "kind": "share", "source": "shop",
                                                       "external_id": "y", "extra": 1}, headers=h).status_code == 422
    assert event(client, auth("analyst"), cid, "share", "z").status_code == 403
    bad_rule = client.post("/api/v1/loyalty/rules", json={"name": "bad", "definition": {
        "kind": "event", "event": "share", "points": 5, "limits": {"per_week": 1}}}, headers=h)
    assert bad_rule.status_code == 422 and "limits.per_week" in bad_rule.text
    no_reward = client.post("/api/v1/loyalty/rules", json={"name": "gift", "definition": {
        "kind": "gift", "period": "order", "min_spend_minor": 100, "currency": "CNY", "reward_id": 999}}, headers=h)
    assert no_reward.status_code == 422 and "no reward 999" in no_reward.text


def test_check_in_streak_follows_the_members_local_days(client, auth, runtime):
    h = auth("admin")
    add_rule(client, h, runtime, "checkin", {"kind": "event", "event": "check_in", "points": 5,
                                             "streak": {"days": 2, "bonus": 20}})
    cid = customer(client, h, "sun@example.com", timezone="Asia/Shanghai")
    utc = dt.UTC
    got = [event(client, h, cid, "check_in", ext, at).json()["points"] for ext, at in [
        ("c1", dt.datetime(2026, 12, 1, 15, 50, tzinfo=utc)),   # 23:50 on 1 December in Shanghai
        ("c2", dt.datetime(2026, 12, 1, 16, 10, tzinfo=utc)),   # 00:10 on 2 December: the second day
        ("c3", dt.datetime(2026, 12, 2, 15, 0, tzinfo=utc)),    # 23:00 on 2 December: the same day again
        ("c4", dt.datetime(2026, 12, 4, 1, 0, tzinfo=utc)),     # 4 December: the 3rd was missed
        ("c5", dt.datetime(2026, 12, 4, 16, 30, tzinfo=utc)),   # 00:30 on 5 December
    ]]
    assert got == [5, 5 + 20, 0, 5, 5 + 20]
    assert points(client, h, cid)["available"] == 60
    verify(runtime)


def test_birthday_points_on_the_local_birthday_and_29_february_in_common_years(client, auth, runtime):
    h = auth("admin")
    add_rule(client, h, runtime, "bday", {"kind": "event", "event": "birthday", "points": 200})
    leap = customer(client, h, "leap@example.com", birthday="1992-02-29", timezone="Asia/Shanghai")
    march = customer(client, h, "march@example.com", birthday="--03-01", timezone="America/Los_Angeles")

    def run(now):
        return events.grant_birthdays(runtime.factory, runtime.cipher, now=now)["birthdays"]

    assert run(dt.datetime(2027, 2, 27, 4, tzinfo=dt.UTC)) == 0
    assert run(dt.datetime(2027, 2, 28, 4, tzinfo=dt.UTC)) == 1                 # 28 Feb 12:00 in Shanghai
    assert points(client, h, leap)["available"] == 200
    assert run(dt.datetime(2027, 3, 1, 4, tzinfo=dt.UTC)) == 0                  # not again; LA is still 28 Feb
    assert run(dt.datetime(2027, 3, 1, 20, tzinfo=dt.UTC)) == 1                 # 1 March 12:00 in Los Angeles
    assert run(dt.datetime(2027, 3, 2, 20, tzinfo=dt.UTC)) == 0                 # the catch-up day gives nothing twice
    assert run(dt.datetime(2028, 2, 28, 4, tzinfo=dt.UTC)) == 0                 # 2028 is a leap year
    assert run(dt.datetime(2028, 2, 29, 4, tzinfo=dt.UTC)) == 1
    assert points(client, h, leap)["available"] == 400 and points(client, h, march)["available"] == 200
    verify(runtime)


def test_a_late_birthday_run_still_grants_the_day_after(client, auth, runtime):
    h = auth("admin")
    add_rule(client, h, runtime, "bday", {"kind": "event", "event": "birthday", "points": 50})
    cid = customer(client, h, "late@example.com", birthday="1990-07-10", timezone="Asia/Shanghai")
    assert events.grant_birthdays(runtime.factory, runtime.cipher, now=dt.datetime(2027, 7, 11, 4, tzinfo=dt.UTC)) == {
        "birthdays": 1}
    listed = client.get(f"/api/v1/customers/{cid}/points/events", headers=h).json()
    assert listed[0]["local_day"] == "2027-07-10" and listed[0]["kind"] == "birthday"


def test_events_from_the_customers_feed_earn_through_the_rules(client, auth, runtime):
    h = auth("admin")
    add_rule(client, h, runtime, "share", {"kind": "event", "event": "share", "points": 3, "limits": {"per_day": 2}})
    add_rule(client, h, runtime, "survey", {"kind": "event", "event": "survey_answered", "points": 30})
    cid = customer(client, h, "feed@example.com", timezone="Asia/Shanghai")
    at = dt.datetime(2026, 12, 3, 2, tzinfo=dt.UTC).isoformat()
    batch = [{"kind": "share", "occurred_at": at, "customer_id": cid, "source": "app", "external_id": f"s{i}"}
             for i in range(3)]
    batch += [{"kind": "custom", "occurred_at": at, "customer_id": cid, "source": "app", "external_id": "q1",
               "properties": {"name": "survey_answered"}},
              {"kind": "page_view", "occurred_at": at, "customer_id": cid, "source": "app", "external_id": "p1"}]
    gone = customer(client, h, "gone@example.com")
    batch.insert(0, {"kind": "share", "occurred_at": at, "customer_id": gone, "source": "app", "external_id": "g1"})
    assert client.post("/api/v1/events", json={"events": batch}, headers=h).status_code == 200
    assert client.post(f"/api/v1/customers/{gone}/erasure", headers=auth("service")).status_code == 200
    assert events.credit_feed(runtime.factory, now=utcnow()) == {"events": 4, "event_points": 3 + 3 + 30}
    assert events.credit_feed(runtime.factory, now=utcnow()) == {"events": 0, "event_points": 0}
    assert points(client, h, cid)["available"] == 36
    verify(runtime)


def credit(runtime) -> int:
    return earning.credit_paid_orders(runtime.factory, now=utcnow())["points"]


def test_a_budget_runs_out_in_the_middle_of_a_batch_with_alerts_at_80_and_100(client, auth, runtime):
    h = auth("admin")
    add_rule(client, h, runtime, "base", {"kind": "base"})
    add_rule(client, h, runtime, "d11", {"kind": "fixed", "points": 100, "budget": 250, "label": "Double 11 bonus"})
    placed = utcnow() - dt.timedelta(hours=2)
    cids = [post_order(client, h, f"b{i}", total=1000, email=f"b{i}@example.com", placed_at=placed)["customer_id"]
            for i in range(4)]
    assert credit(runtime) == 4 * 10 + 250                       # one page: 100, 100, 50, 0 bonus points
    got = sorted(points(client, h, c)["pending"] for c in cids)
    assert got == [10, 60, 110, 110]
    with transaction(runtime.factory) as s:
        assert s.get(RuleBudget, "d11").used == 250
        alerts = s.scalars(select(AdminAlert).where(AdminAlert.kind == "loyalty_budget").order_by(AdminAlert.id)).all()
        assert [a.details["threshold"] for a in alerts] == [80, 100]
    post_order(client, h, "b9", total=1000, email="b9@example.com", placed_at=placed)
    assert credit(runtime) == 10                                 # spent: base points only, no third alert
    report = client.get("/api/v1/loyalty/reports", headers=h).json()["budgets"]
    assert report == [{"rule": "d11", "active": True, "budget": 250, "used": 250, "remaining": 0, "share": 1.0}]
    listed = client.get("/api/v1/alerts", headers=h).json()["items"]
    assert sum("d11" in a["message"] for a in listed) == 2          # staff see them where other alerts are
    verify(runtime)


def test_an_event_rule_budget_is_shared_by_every_member(client, auth, runtime):
    h = auth("admin")
    add_rule(client, h, runtime, "survey", {"kind": "event", "event": "survey_answered", "points": 40, "budget": 100})
    got = [event(client, h, customer(client, h, f"s{i}@example.com"), "survey_answered", f"q{i}").json()["points"]
           for i in range(4)]
    assert got == [40, 40, 20, 0]


def gift_reward(client, h, stock=2):
    r = client.post("/api/v1/loyalty/rewards", json={"name": "Silk mask", "kind": "gift", "points_cost": 2000,
                                                     "stock": stock}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def stock_of(runtime, reward_id):
    with runtime.factory() as s:
        return s.get(Reward, reward_id).stock


def test_a_month_threshold_crossed_by_a_second_order_gives_one_gift_and_a_refund_takes_it_back(client, auth, runtime):
    h = auth("admin")
    reward = gift_reward(client, h)
    add_rule(client, h, runtime, "m500", {"kind": "gift", "period": "month", "min_spend_minor": 50000,
                                          "currency": "CNY", "reward_id": reward, "label": "满500送面膜"})
    now = utcnow()
    first = post_order(client, h, "g1", total=30000, email="gift@example.com", placed_at=now - dt.timedelta(hours=3))
    assert gifts.run(runtime.factory, now=now)["gifts_granted"] == 0
    second = post_order(client, h, "g2", total=25000, email="gift@example.com", placed_at=now - dt.timedelta(hours=2))
    assert gifts.run(runtime.factory, now=now)["gifts_granted"] == 1
    assert gifts.run(runtime.factory, now=now) == {"gifts_granted": 0, "gifts_reversed": 0}   # once per month
    third = post_order(client, h, "g3", total=80000, email="gift@example.com", placed_at=now - dt.timedelta(hours=1))
    assert gifts.run(runtime.factory, now=now)["gifts_granted"] == 0
    assert stock_of(runtime, reward) == 1
    shown = points(client, h, first["customer_id"])["gifts"]
    assert [(g["status"], g["order_id"], g["reward"]) for g in shown] == [("granted", second["id"], "Silk mask")]
    assert shown[0]["explanation"].startswith("满500送面膜: spent 550.00 CNY this month")
    # a refund of the big order leaves 55,000 this month: still over, the gift stays
    client.post(f"/api/v1/orders/{shown[0]['order_id']}/refunds", json={"external_id": "gr0", "amount_minor": 500},
                headers=h)
    assert gifts.run(runtime.factory, now=now)["gifts_reversed"] == 0
    r = client.post(f"/api/v1/orders/{third['id']}/refunds", json={"external_id": "gr1", "amount_minor": 80000}, headers=h)
    assert r.status_code == 201, r.text
    assert gifts.run(runtime.factory, now=now)["gifts_reversed"] == 0        # 54,500 left: still over
    client.post(f"/api/v1/orders/{first['id']}/refunds", json={"external_id": "gr2", "amount_minor": 10000},
                headers=h)
    assert gifts.run(runtime.factory, now=now)["gifts_reversed"] == 1        # 44,500: under 50,000
    assert stock_of(runtime, reward) == 2
    assert points(client, h, first["customer_id"])["gifts"][0]["status"] == "reversed"


def test_an_order_gift_is_given_once_and_a_shipped_gift_stays_after_a_refund(client, auth, runtime):
    h = auth("admin")
    reward = gift_reward(client, h, stock=1)
    add_rule(client, h, runtime, "o200", {"kind": "gift", "period": "order", "min_spend_minor": 20000,
                                          "currency": "CNY", "reward_id": reward})
    now = utcnow()
    a = post_order(client, h, "o1", total=25800, email="one@example.com", placed_at=now - dt.timedelta(hours=1))
    b = post_order(client, h, "o2", total=25800, email="two@example.com", placed_at=now - dt.timedelta(hours=1))
    assert gifts.run(runtime.factory, now=now)["gifts_granted"] == 1          # one in stock
    with runtime.factory() as s:
        rows = {g.customer_id: g for g in s.scalars(select(GiftGrant))}
    assert {rows[a["customer_id"]].status, rows[b["customer_id"]].status} == {"granted", "unavailable"}
    given = rows[a["customer_id"]] if rows[a["customer_id"]].status == "granted" else rows[b["customer_id"]]
    shipped = client.post(f"/api/v1/loyalty/gifts/{given.id}/shipment", headers=h)
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    client.post(f"/api/v1/orders/{given.order_id}/refunds", json={"external_id": "or1", "amount_minor": 25800},
                headers=h)
    assert gifts.run(runtime.factory, now=now)["gifts_reversed"] == 0
    assert client.post(f"/api/v1/loyalty/gifts/{10**9}/shipment", headers=h).status_code == 404
    other = rows[a["customer_id"]] if given is rows[b["customer_id"]] else rows[b["customer_id"]]
    assert client.post(f"/api/v1/loyalty/gifts/{other.id}/shipment", headers=h).status_code == 409
