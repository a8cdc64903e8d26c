"""The lot ledger's rules without storage: properties over any sequence, and the known edge cases."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from guanxi.loyalty import expiry
from guanxi.loyalty.ledger import (
    AVAILABLE, DEBT, DEDUCT, EXPIRED, PENDING, REVERSED, Book, Duplicate, InsufficientPoints, Lot,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def lot(i, points, *, day=0, pending=False, expires_day=None, order=None):
    at = T0 + dt.timedelta(days=day)
    return Lot(id=i, points=points, earned_at=at, available_at=None if pending else at,
               expires_at=None if expires_day is None else T0 + dt.timedelta(days=expires_day),
               source="order" if order else "test", ref=str(i), order_ref=order)


# -- properties --------------------------------------------------------------------------------

operations = st.lists(st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500), st.booleans(), st.integers(1, 60)),
    st.tuples(st.just("release"), st.integers(0, 30)),
    st.tuples(st.just("spend"), st.integers(1, 400), st.booleans()),
    st.tuples(st.just("settle"), st.integers(0, 10), st.booleans()),
    st.tuples(st.just("refund"), st.integers(0, 30), st.integers(0, 100)),
    st.tuples(st.just("advance"), st.integers(0, 20)),
    st.tuples(st.just("replay"), st.integers(0, 30)),
), max_size=60)


@settings(max_examples=300, deadline=None)
@given(ops=operations, policy=st.sampled_from([DEBT, DEDUCT]))
def test_any_sequence_keeps_the_invariants(ops, policy):
    book = Book(debt_policy=policy)
    entries, now, n = [], T0, 0
    refunded: dict[str, Fraction] = {}
    for op in ops:
        if op[0] == "earn":
            _, points, pending, months_days = op
            n += 1
            order = f"o{n}"
            entries.append(book.earn(Lot(id=n, points=points, earned_at=now, available_at=None if pending else now,
                                         expires_at=now + dt.timedelta(days=months_days), source="order",
                                         ref=order, order_ref=order), now=now))
        elif op[0] == "release" and op[1] in book.lots:
            book.release(op[1], now)
        elif op[0] == "spend":
            try:
                entries.append(book.spend("redemption", f"r{len(entries)}", op[1], now=now, lock=op[2]))
            except InsufficientPoints as exc:
                assert exc.available < op[1]
        elif op[0] == "settle" and book.locks:
            ref = sorted(book.locks)[op[1] % len(book.locks)]
            entries.append(book.confirm(ref, now=now) if op[2] else book.cancel(ref, now=now))
        elif op[0] == "refund" and op[1] in book.lots:
            order = f"o{op[1]}"
            share = max(refunded.get(order, Fraction(0)), Fraction(op[2], 100))  # refunds only add up
            refunded[order] = share
            entries.append(book.reverse("refund", f"{order}:{len(entries)}", order, share, now=now))
        elif op[0] == "advance":
            now += dt.timedelta(days=op[1])
            entries.extend(book.expire_due(now))
        elif op[0] == "replay" and entries:
            e = entries[op[1] % len(entries)]
            with pytest.raises(Duplicate):
                book._claim(*e.key)

        # the balance is the sum of the entries
        assert sum(e.points for e in entries) == book.available + book.pending
        assert sum(e.locked_change for e in entries) == book.locked
        assert sum(e.debt_change for e in entries) == book.debt
        # lots agree with their allocations
        for l in book.lots.values():
            taken = sum(a.points for e in entries for a in e.allocations if a.lot == l.id)
            assert l.points - taken == l.remaining >= 0
        # never negative unless the debt policy allows it
        if policy == DEDUCT:
            assert book.debt == 0 and book.available >= 0
        assert book.available >= -book.debt
        # refunds never take back more than was earned
        for l in book.lots.values():
            assert 0 <= l.reversed <= l.points
            reversed_points = sum(-e.points + e.forfeited + e.written_off for e in entries
                                  if e.kind == "reverse" and e.details["order"] == l.order_ref)
            assert reversed_points <= l.points


@settings(max_examples=200, deadline=None)
@given(points=st.lists(st.integers(1, 100), min_size=1, max_size=8),
       expiries=st.lists(st.integers(1, 400), min_size=8, max_size=8),
       spend=st.integers(1, 800))
def test_spending_and_expiry_take_the_soonest_expiring_first(points, expiries, spend):
    book = Book()
    for i, p in enumerate(points):
        book.earn(lot(i, p, expires_day=expiries[i]), now=T0)
    spend = min(spend, sum(points))
    entry = book.spend("redemption", "r", spend, now=T0)
    taken = {a.lot for a in entry.allocations}
    untouched = [l for l in book.lots.values() if l.id not in taken]
    for l in untouched:  # nothing left unused expires before a lot that was drawn on
        assert all(book.lots[t].sort_key() <= l.sort_key() for t in taken)
    expired = book.expire_due(T0 + dt.timedelta(days=500))
    assert [e.at for e in expired] == sorted(e.at for e in expired)


# -- edge cases --------------------------------------------------------------------------------

def test_paid_then_fully_refunded_inside_the_return_window_never_becomes_available():
    book = Book()
    book.earn(lot(1, 258, pending=True, order="A"), now=T0)
    assert book.balance() == {"available": 0, "pending": 258, "locked": 0, "debt": 0}
    entry = book.reverse("refund", "A:r1", "A", (25800, 25800), now=T0 + dt.timedelta(days=2))
    assert entry.points == -258 and book.lots[1].state == REVERSED
    assert book.release(1, T0 + dt.timedelta(days=8)) is False
    assert book.balance() == {"available": 0, "pending": 0, "locked": 0, "debt": 0}


@pytest.mark.parametrize("policy, available, debt, written_off", [(DEBT, -20, 20, 0), (DEDUCT, 0, 0, 20)])
def test_partial_refund_after_partial_spending(policy, available, debt, written_off):
    book = Book(debt_policy=policy)
    book.earn(lot(1, 100, order="A"), now=T0)
    book.earn(lot(2, 50, expires_day=400), now=T0)
    book.spend("redemption", "r1", 90, now=T0)
    # lot 2 expires first (lot 1 never does): 50 from lot 2, 40 from lot 1 → lot 1 keeps 60
    assert book.lots[1].remaining == 60 and book.lots[2].remaining == 0
    e = book.reverse("refund", "A:r1", "A", (80, 100), now=T0)  # 80 % of 100 points back
    assert e.details["reversed_total"] == 80
    assert book.lots[1].remaining == 0
    assert (book.available, book.debt, e.written_off) == (available, debt, written_off)


def test_deduct_policy_takes_from_other_lots_and_writes_off_the_rest():
    book = Book(debt_policy=DEDUCT)
    book.earn(lot(1, 100, order="A"), now=T0)
    book.spend("redemption", "r1", 100, now=T0)
    book.earn(lot(2, 30), now=T0)
    e = book.reverse("refund", "A:r1", "A", (1, 1), now=T0)
    assert [(a.lot, a.points) for a in e.allocations] == [(2, 30)]
    assert e.points == -30 and e.written_off == 70 and book.available == 0


def test_debt_is_paid_back_by_later_earnings():
    book = Book(debt_policy=DEBT)
    book.earn(lot(1, 100, order="A"), now=T0)
    book.spend("redemption", "r1", 100, now=T0)
    book.reverse("refund", "A:r1", "A", (1, 1), now=T0)
    assert book.available == -100
    with pytest.raises(InsufficientPoints):
        book.spend("redemption", "r2", 1, now=T0)
    e = book.earn(lot(2, 130), now=T0)
    assert e.debt_change == -100 and book.debt == 0 and book.available == 30


def test_refunds_replayed_or_repeated_take_back_at_most_what_was_earned():
    book = Book()
    book.earn(lot(1, 99, pending=True, order="A"), now=T0)
    book.reverse("refund", "A:r1", "A", (1, 3), now=T0)
    with pytest.raises(Duplicate):
        book.reverse("refund", "A:r1", "A", (1, 3), now=T0)
    book.reverse("refund", "A:r2", "A", (2, 3), now=T0)
    book.reverse("refund", "A:r3", "A", (1, 1), now=T0)
    book.reverse("refund", "A:r4", "A", (1, 1), now=T0)
    assert book.lots[1].reversed == 99 and book.pending == 0


def test_expired_points_refunded_later_are_forfeited_not_taken_twice():
    book = Book()
    book.earn(lot(1, 100, order="A", expires_day=10), now=T0)
    book.expire_due(T0 + dt.timedelta(days=10))
    e = book.reverse("refund", "A:r1", "A", (1, 1), now=T0 + dt.timedelta(days=11))
    assert e.points == 0 and e.forfeited == 100 and book.debt == 0


def test_a_duplicate_webhook_changes_nothing():
    book = Book()
    book.earn(lot(1, 10, order="A"), now=T0)
    with pytest.raises(Duplicate):
        book.earn(Lot(id=2, points=10, earned_at=T0, available_at=T0, expires_at=None, source="order", ref="1"),
                  now=T0)
    assert book.available == 10 and set(book.lots) == {1}


def test_a_reservation_locks_then_confirms_or_gives_back():
    book = Book()
    book.earn(lot(1, 100), now=T0)
    book.spend("redemption", "r1", 60, now=T0, lock=True)
    assert book.balance() == {"available": 40, "pending": 0, "locked": 60, "debt": 0}
    book.cancel("r1", now=T0)
    assert book.balance() == {"available": 100, "pending": 0, "locked": 0, "debt": 0}
    book.spend("redemption", "r2", 60, now=T0, lock=True)
    book.confirm("r2", now=T0)
    assert book.balance() == {"available": 40, "pending": 0, "locked": 0, "debt": 0}


def test_points_earned_on_29_february_expire_at_the_end_of_28_february():
    earned = dt.datetime(2028, 2, 29, 15, 0, tzinfo=dt.UTC)  # 23:00 in Shanghai, still the 29th
    at = expiry.expires_at(earned, "Asia/Shanghai", expiry.ROLLING, 12)
    assert at == dt.datetime(2029, 3, 1, 0, 0, tzinfo=expiry.ZoneInfo("Asia/Shanghai"))
    assert expiry.expires_at(earned, "Asia/Shanghai", expiry.ROLLING, 48) == \
        dt.datetime(2032, 3, 1, tzinfo=expiry.ZoneInfo("Asia/Shanghai"))  # a leap year again: the 29th lives on


def test_expiry_is_at_midnight_in_the_members_time_zone():
    earned = dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC)  # 11 March in Shanghai, 10 March in New York
    shanghai = expiry.expires_at(earned, "Asia/Shanghai", expiry.ROLLING, 1)
    new_york = expiry.expires_at(earned, "America/New_York", expiry.ROLLING, 1)
    assert shanghai == dt.datetime(2026, 4, 11, 16, 0, tzinfo=dt.UTC)   # 12 April 00:00 +08:00
    assert new_york == dt.datetime(2026, 4, 11, 4, 0, tzinfo=dt.UTC)    # 11 April 00:00 -04:00 (DST)
    book = Book()
    book.earn(Lot(id=1, points=5, earned_at=earned, available_at=earned, expires_at=shanghai, source="t", ref="1"),
              now=earned)
    assert book.expire_due(shanghai - dt.timedelta(seconds=1)) == []
    assert book.available == 5
    assert [e.points for e in book.expire_due(shanghai)] == [-5] and book.lots[1].state == EXPIRED
    assert expiry.expires_at(earned, "UTC", expiry.FIXED) == dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
    assert expiry.expires_at(earned, "UTC", expiry.NEVER) is None


def test_expiring_soon_lists_what_a_reminder_needs():
    book = Book()
    book.earn(lot(1, 5, expires_day=10), now=T0)
    book.earn(lot(2, 7, expires_day=10), now=T0)
    book.earn(lot(3, 9, expires_day=90), now=T0)
    soon = expiry.expiring_soon(book.lots.values(), T0, 30)
    assert soon == [{"points": 12, "expires_at": T0 + dt.timedelta(days=10)}]


def test_a_pending_lot_is_not_spendable_until_released():
    book = Book()
    book.earn(lot(1, 50, pending=True, order="A"), now=T0)
    with pytest.raises(InsufficientPoints):
        book.spend("redemption", "r1", 10, now=T0)
    assert book.release(1, T0) and book.lots[1].state == AVAILABLE
    assert book.spend("redemption", "r1", 10, now=T0).points == -10
    assert book.lots[1].state == AVAILABLE and PENDING != AVAILABLE
