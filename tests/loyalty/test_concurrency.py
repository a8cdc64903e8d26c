"""Simultaneous redemptions against one balance, with real parallel connections (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from guanxi.db import transaction
from guanxi.loyalty import points, store
from guanxi.loyalty.ledger import InsufficientPoints
from guanxi.staff.roles import SYSTEM
from tests.loyalty.test_points_api import post_order


def _member_with(client, auth, runtime, balance: int) -> int:
    cid = post_order(client, auth("admin"), "c-1")["customer_id"]
    with transaction(runtime.factory) as session:
        points.adjust(session, cid, balance, "seed", "seed", SYSTEM)
    return cid


def test_fifty_redemptions_against_ten_redemptions_worth_exactly_ten_succeed(client, auth, runtime):
    cid = _member_with(client, auth, runtime, 100)
    barrier = threading.Barrier(50)

    def redeem(i: int) -> str:
        barrier.wait()
        try:
            with transaction(runtime.factory) as session:
                points.redeem(session, cid, f"k{i}", points=10)
            return "ok"
        except InsufficientPoints:
            return "409"

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(redeem, range(50)))
    assert outcomes.count("ok") == 10 and outcomes.count("409") == 40
    with runtime.factory() as session:
        assert store.balance_of(session, cid)["available"] == 0
        assert store.verify(session) == []


def test_two_simultaneous_redemptions_of_the_last_points_one_201_one_409(client, auth, runtime):
    cid = _member_with(client, auth, runtime, 100)
    headers = auth("admin")
    barrier = threading.Barrier(2)

    def redeem(key: str) -> int:
        barrier.wait()
        return client.post(f"/api/v1/customers/{cid}/points/redemptions",
                           json={"points": 100, "idempotency_key": key}, headers=headers).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(redeem, ["a", "b"]))
    assert codes == [201, 409]
    with runtime.factory() as session:
        assert store.balance_of(session, cid)["available"] == 0


def test_the_same_idempotency_key_twice_at_once_spends_once(client, auth, runtime):
    cid = _member_with(client, auth, runtime, 100)
    barrier = threading.Barrier(2)

    def redeem(_):
        barrier.wait()
        with transaction(runtime.factory) as session:
            return points.redeem(session, cid, "same", points=30).created

    with ThreadPoolExecutor(2) as pool:
        created = sorted(pool.map(redeem, range(2)))
    assert created == [False, True]
    with runtime.factory() as session:
        assert store.balance_of(session, cid)["available"] == 70


def test_simultaneous_events_never_spend_more_than_the_budget_and_a_repeated_event_counts_once(client, auth, runtime):
    from guanxi.loyalty import events
    from guanxi.loyalty.models import LoyaltyEvent, RuleBudget
    from tests.loyalty.test_events_budgets_gifts import add_rule, customer

    h = auth("admin")
    add_rule(client, h, runtime, "survey", {"kind": "event", "event": "survey_answered", "points": 40, "budget": 100})
    cids = [customer(client, h, f"q{i}@example.com") for i in range(8)]
    barrier = threading.Barrier(12)

    def answer(i: int) -> int:
        cid, ext = (cids[i], f"q{i}") if i < 8 else (cids[0], "q0")   # the last four repeat member 0's answer
        barrier.wait()
        with transaction(runtime.factory) as session:
            done = events.record(session, cid, "survey_answered", source="app", external_id=ext)
            return done.event.points if done.created else 0

    with ThreadPoolExecutor(12) as pool:
        got = list(pool.map(answer, range(12)))
    assert sum(got) == 100 and sorted(p for p in got if p) == [20, 40, 40]
    with runtime.factory() as session:
        assert session.get(RuleBudget, "survey").used == 100
        assert session.query(LoyaltyEvent).count() == 8
        assert store.verify(session) == []


def test_two_crediting_workers_at_once_never_overspend_a_budget(client, auth, runtime):
    import datetime as dt

    from guanxi.customers import loyalty_feed
    from guanxi.db import utcnow
    from guanxi.loyalty import earning
    from guanxi.loyalty.models import RuleBudget
    from tests.loyalty.test_events_budgets_gifts import add_rule

    h = auth("admin")
    add_rule(client, h, runtime, "base", {"kind": "base"})
    add_rule(client, h, runtime, "bonus", {"kind": "fixed", "points": 100, "budget": 550})
    placed = utcnow() - dt.timedelta(hours=1)
    for i in range(10):
        post_order(client, h, f"w{i}", total=1000, email=f"w{i}@example.com", placed_at=placed)
    with runtime.factory() as session:
        orders, _ = loyalty_feed.paid_orders(session, 0, 100)
    halves = [orders[0::2], orders[1::2]]
    barrier = threading.Barrier(2)

    def work(part) -> int:
        barrier.wait()
        with transaction(runtime.factory) as session:
            return earning.credit_batch(session, part, earning.RuleBook(session), now=utcnow())[1]

    with ThreadPoolExecutor(2) as pool:
        total = sum(pool.map(work, halves))
    assert total == 10 * 10 + 550
    with runtime.factory() as session:
        assert session.get(RuleBudget, "bonus").used == 550
        assert store.verify(session) == []
