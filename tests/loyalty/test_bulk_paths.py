"""The ledger's bulk paths on storage (SQLite and PostgreSQL): the set-based expiry job, crediting a
page of orders through the driver, and verify."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from guanxi.customers import loyalty_feed
from guanxi.customers.models import Customer
from guanxi.db import transaction, utcnow
from guanxi.loyalty import earning, expiry, points, store
from guanxi.loyalty.models import PointAllocation, PointBalance, PointEntry, PointLot
from tests.loyalty.test_points_api import post_order

EARNED = dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC)  # 11 March in Shanghai and Sydney, 10 March in New York


def _member(session, timezone: str) -> int:
    customer = Customer(status="active", timezone=timezone, tags=[], attributes={}, preferences={})
    session.add(customer)
    session.flush()
    return customer.id


def _earn(session, cid: int, points: int, *, timezone: str, earned_at=EARNED, pending: bool = False, ref: str):
    """A lot as the ledger makes it (expiring at the member's local midnight), written through an Account."""
    account = store.open_account(session, cid)
    lot = account.new_lot(points=points, earned_at=earned_at, available_at=None if pending else earned_at,
                          expires_at=store.expires_for(session, earned_at, timezone), source="test", ref=ref)
    account.write([account.book.earn(lot, now=earned_at)])
    return lot.id


def _expire(runtime, at, batch=50_000):
    return earning.expire_points(runtime.factory, now=at, batch=batch)


def test_the_expiry_job_expires_each_members_lots_at_their_own_local_midnight(runtime):
    zones = ["Asia/Shanghai", "America/New_York", "Australia/Sydney"]
    with transaction(runtime.factory) as session:
        members = {tz: _member(session, tz) for tz in zones}
        lots = {tz: _earn(session, members[tz], 10 + i, timezone=tz, ref=tz, pending=tz == "America/New_York")
                for i, tz in enumerate(zones)}
    instants = {tz: expiry.expires_at(EARNED, tz, expiry.ROLLING, 24) for tz in zones}
    # the default programme: 24 months, to the end of the local day
    assert instants["Asia/Shanghai"] == dt.datetime(2028, 3, 11, 16, 0, tzinfo=dt.UTC)      # 12 March 00:00 +08
    assert instants["America/New_York"] == dt.datetime(2028, 3, 11, 5, 0, tzinfo=dt.UTC)    # 11 March 00:00 -05
    assert instants["Australia/Sydney"] == dt.datetime(2028, 3, 11, 13, 0, tzinfo=dt.UTC)   # 12 March 00:00 +11
    expired_so_far = set()
    for tz in sorted(zones, key=instants.get):
        assert _expire(runtime, instants[tz] - dt.timedelta(seconds=1))["lots_expired"] == 0
        result = _expire(runtime, instants[tz])
        assert result["lots_expired"] == 1 and result["points_expired"] == 10 + zones.index(tz)
        expired_so_far.add(tz)
        with runtime.factory() as session:
            for other in zones:
                lot = session.get(PointLot, lots[other])
                balance = store.balance_of(session, members[other])
                if other in expired_so_far:
                    assert (lot.remaining, lot.expired, lot.state) == (0, lot.points, "expired")
                    assert balance["available"] == balance["pending"] == 0
                else:
                    assert lot.remaining == lot.points
                    assert balance["pending" if other == "America/New_York" else "available"] == lot.points
            entry = session.scalar(select(PointEntry).where(PointEntry.source == "expiry",
                                                            PointEntry.ref == f"{lots[tz]}:0"))
            assert (entry.kind, entry.points, entry.at, entry.lot_id) == ("expire", -lot_points(session, lots[tz]),
                                                                          instants[tz], lots[tz])
            assert [(a.lot_id, a.points) for a in session.scalars(
                select(PointAllocation).where(PointAllocation.entry_id == entry.id))] == [(lots[tz], entry.points * -1)]
            assert store.verify(session) == []
    assert _expire(runtime, instants["Asia/Shanghai"] + dt.timedelta(days=1))["lots_expired"] == 0


def lot_points(session, lot_id: int) -> int:
    return session.get(PointLot, lot_id).points


def test_expiry_in_many_small_slices_with_ties_on_the_instant_expires_each_lot_once(runtime):
    with transaction(runtime.factory) as session:
        cids = [_member(session, "Asia/Shanghai") for _ in range(4)]
        made = [_earn(session, cids[i % 4], 5 + i, timezone="Asia/Shanghai", ref=f"l{i}") for i in range(11)]
        spender = store.open_account(session, cids[0])          # member 0 spends 3 of their points first
        spender.write([spender.book.spend("redemption", "r1", 3, now=EARNED)])
    at = expiry.expires_at(EARNED, "Asia/Shanghai", expiry.ROLLING, 24)
    result = _expire(runtime, at, batch=3)                      # every lot has the same instant: ties by id
    assert result["lots_expired"] == 11
    assert result["points_expired"] == sum(5 + i for i in range(11)) - 3
    assert _expire(runtime, at, batch=3) == {"lots_expired": 0, "points_expired": 0}
    with runtime.factory() as session:
        assert all(session.get(PointLot, i).remaining == 0 for i in made)
        assert session.scalar(select(PointEntry.id).where(PointEntry.kind == "expire").order_by(PointEntry.id.desc())
                              .limit(1)) is not None
        assert len(session.scalars(select(PointEntry).where(PointEntry.kind == "expire")).all()) == 11
        assert all(store.balance_of(session, c) == {"available": 0, "pending": 0, "locked": 0, "debt": 0}
                   for c in cids)
        assert store.verify(session) == []


def test_the_jobs_expiry_keys_follow_the_books_so_points_given_back_later_expire_under_a_new_one(runtime):
    with transaction(runtime.factory) as session:
        cid = _member(session, "America/New_York")
        lot_id = _earn(session, cid, 100, timezone="America/New_York", ref="x")
        hold = points.redeem(session, cid, "hold", points=60, reserve=True, now=EARNED).redemption.id
    at = expiry.expires_at(EARNED, "America/New_York", expiry.ROLLING, 24)
    assert _expire(runtime, at)["points_expired"] == 40         # the 60 held by the reservation stay put
    with transaction(runtime.factory) as session:
        # cancelled after the instant: the 60 go back to the lot and the Book expires them at once
        points.settle(session, cid, hold, confirm=False, now=at)
        assert store.balance_of(session, cid)["available"] == 0
    assert _expire(runtime, at + dt.timedelta(hours=1))["lots_expired"] == 0
    with runtime.factory() as session:
        refs = session.scalars(select(PointEntry.ref).where(PointEntry.kind == "expire").order_by(PointEntry.id)).all()
        assert refs == [f"{lot_id}:0", f"{lot_id}:40"]
        assert store.balance_of(session, cid) == {"available": 0, "pending": 0, "locked": 0, "debt": 0}
        assert store.verify(session) == []


def test_a_replayed_crediting_page_credits_nothing_and_stored_lots_read_back_exactly(client, auth, runtime):
    h = auth("admin")
    placed = utcnow() - dt.timedelta(hours=2)
    ids = [post_order(client, h, f"p{i}", email=f"m{i % 2}@example.com", total=10000 + 100 * i,
                      placed_at=placed + dt.timedelta(minutes=i))["id"] for i in range(5)]
    now = utcnow()
    with transaction(runtime.factory) as session:
        page, _ = loyalty_feed.paid_orders(session, 0, 100)
        assert earning.credit_batch(session, page, earning.RuleBook(session), now=now) == (5, sum(
            100 + i for i in range(5)))
    with transaction(runtime.factory) as session:
        page, _ = loyalty_feed.paid_orders(session, 0, 100)
        assert earning.credit_batch(session, page, earning.RuleBook(session), now=now) == (0, 0)
    assert earning.credit_paid_orders(runtime.factory, now=now)["orders_credited"] == 0
    with runtime.factory() as session:
        lots = session.scalars(select(PointLot).order_by(PointLot.order_id)).all()
        assert [lot.order_id for lot in lots] == ids
        for i, lot in enumerate(lots):
            assert lot.earned_at == placed + dt.timedelta(minutes=i) and lot.earned_at.tzinfo is not None
            assert lot.expires_at == expiry.expires_at(lot.earned_at, "Asia/Shanghai", expiry.ROLLING, 24)
            assert (lot.state, lot.remaining, lot.available_at) == ("pending", 100 + i, None)
            assert lot.details["by_sku"] == {"LIP-01": 100 + i}
        earns = session.scalars(select(PointEntry).where(PointEntry.kind == "earn").order_by(PointEntry.lot_id)).all()
        assert [(e.lot_id, e.points, e.at) for e in earns] == [(lot.id, lot.points, lot.earned_at) for lot in lots]
        pending = sorted(b.pending for b in session.scalars(select(PointBalance)))
        assert pending == sorted([100 + 102 + 104, 101 + 103])
        assert store.verify(session) == []


def test_verify_finds_a_wrong_cached_balance_and_can_look_at_some_members_only(runtime):
    with transaction(runtime.factory) as session:
        a, b = _member(session, "UTC"), _member(session, "UTC")
        _earn(session, a, 30, timezone="UTC", ref="a")
        _earn(session, b, 40, timezone="UTC", ref="b")
        session.execute(update(PointBalance).where(PointBalance.customer_id == a).values(available=31))
    with runtime.factory() as session:
        problems = store.verify(session)
        assert problems == [{"customer_id": a, "cached": {"available": 31, "pending": 0, "locked": 0, "debt": 0},
                             "rebuilt": {"available": 30, "pending": 0, "locked": 0, "debt": 0}}]
        assert store.rebuild(session, a) == problems[0]["rebuilt"]
        assert store.verify(session, customer_ids=[b]) == []
        assert store.verify(session, customer_ids=[a, b]) == problems
