"""One member's points as lots and append-only entries: the rules, without storage.

An earn creates a lot. Spending, expiry and reversal consume lots oldest-expiry-first and say
so in allocation rows; nothing is updated in place without an entry that explains it.

    sum(entry.points) == sum(lot.remaining) - debt == available + pending

`available` goes below zero only under the "debt" policy, when a refund takes back points
that were already spent: later earnings pay the debt back first. Under "deduct" the shortfall
comes out of the member's other lots, and what they cannot cover is written off (recorded on
the entry, never silently dropped).

The storage layer (store.py) loads a Book, calls these methods and writes what they return;
the property tests drive the same Book directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from guanxi.errors import Conflict

DEBT = "debt"
DEDUCT = "deduct"
DEBT_POLICIES = (DEBT, DEDUCT)

PENDING, AVAILABLE, EXPIRED, REVERSED, SPENT = "pending", "available", "expired", "reversed", "spent"
_FAR = dt.datetime.max.replace(tzinfo=dt.UTC)


class InsufficientPoints(Conflict):
    title = "Insufficient points"

    def __init__(self, needed: int, available: int):
        super().__init__(f"{needed} points needed, {max(available, 0)} available")
        self.needed, self.available = needed, available


class Duplicate(Exception):
    """An entry with this idempotency key exists: the caller answers with the first result."""


@dataclass
class Lot:
    id: object
    points: int
    earned_at: dt.datetime
    available_at: dt.datetime | None  # None: pending until something (a return window) releases it
    expires_at: dt.datetime | None    # None: never
    source: str
    ref: str
    rule: str | None = None
    order_ref: str | None = None
    remaining: int = -1
    spent: int = 0
    expired: int = 0
    reversed: int = 0
    forfeited: int = 0
    state: str = PENDING

    def __post_init__(self):
        if self.remaining < 0:
            self.remaining = self.points

    def sort_key(self):
        return (self.expires_at or _FAR, self.earned_at, str(self.id))


@dataclass(frozen=True)
class Allocation:
    lot: object
    points: int  # taken from the lot (negative: given back, when a reservation is cancelled)


@dataclass
class Entry:
    kind: str          # earn | spend | lock | confirm | release | expire | reverse | adjust
    points: int        # signed change of available + pending
    source: str
    ref: str
    at: dt.datetime
    allocations: list[Allocation] = field(default_factory=list)
    lot: object = None
    debt_change: int = 0
    locked_change: int = 0
    written_off: int = 0   # reversal the member's lots could not cover under "deduct"
    forfeited: int = 0     # reversal of points that had already expired: nothing left to take
    details: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.ref)


@dataclass
class Book:
    """The open state of one member's points."""

    lots: dict = field(default_factory=dict)
    debt: int = 0
    locks: dict = field(default_factory=dict)   # lock ref -> the lock entry's allocations
    keys: set = field(default_factory=set)
    debt_policy: str = DEBT

    # -- balances -------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return sum(l.remaining for l in self.lots.values() if l.state == PENDING)

    @property
    def available(self) -> int:
        return sum(l.remaining for l in self.lots.values() if l.state == AVAILABLE) - self.debt

    @property
    def locked(self) -> int:
        return sum(a.points for allocs in self.locks.values() for a in allocs)

    @property
    def total(self) -> int:
        return self.available + self.pending

    def balance(self) -> dict:
        return {"available": self.available, "pending": self.pending, "locked": self.locked, "debt": self.debt}

    # -- writes ---------------------------------------------------------------------------------
    def _claim(self, source: str, ref: str) -> None:
        if (source, ref) in self.keys:
            raise Duplicate((source, ref))
        self.keys.add((source, ref))

    def earn(self, lot: Lot, *, now: dt.datetime) -> Entry:
        """Add a lot; it first pays back any debt."""
        if lot.points <= 0:
            raise ValueError("a lot holds a positive number of points")
        self._claim(lot.source, lot.ref)
        lot.remaining, lot.state = lot.points, PENDING
        if lot.available_at is not None and lot.available_at <= now:
            lot.state = AVAILABLE
        self.lots[lot.id] = lot
        entry = Entry("earn", lot.points, lot.source, lot.ref, now, lot=lot.id,
                      details={"rule": lot.rule} if lot.rule else {})
        repay = min(self.debt, lot.points)
        if repay:
            lot.remaining -= repay
            lot.spent += repay
            self.debt -= repay
            entry.debt_change = -repay
            entry.allocations.append(Allocation(lot.id, repay))
        self._settle(lot)
        return entry

    def release(self, lot_id, now: dt.datetime) -> bool:
        """Pending → available (the return window has passed). False when there is nothing to do."""
        lot = self.lots[lot_id]
        if lot.state != PENDING:
            return False
        lot.state, lot.available_at = AVAILABLE, lot.available_at or now
        return True

    def spendable(self, now: dt.datetime) -> list[Lot]:
        return sorted((l for l in self.lots.values()
                       if l.state == AVAILABLE and l.remaining > 0 and (l.expires_at is None or l.expires_at > now)),
                      key=Lot.sort_key)

    def _take(self, lots: list[Lot], points: int) -> list[Allocation]:
        allocations = []
        for lot in lots:
            if points == 0:
                break
            take = min(lot.remaining, points)
            lot.remaining -= take
            lot.spent += take
            points -= take
            allocations.append(Allocation(lot.id, take))
            self._settle(lot)
        return allocations

    def spend(self, source: str, ref: str, points: int, *, now: dt.datetime, lock: bool = False,
              kind: str = "spend", details: dict | None = None) -> Entry:
        """Take points from available lots, soonest-expiring first; `lock` reserves them instead."""
        if points <= 0:
            raise ValueError("spend a positive number of points")
        lots = self.spendable(now)  # lots past their expiry are not spendable, expired or not yet
        free = sum(l.remaining for l in lots) - self.debt
        if free < points:
            raise InsufficientPoints(points, free)
        self._claim(source, ref)
        allocations = self._take(lots, points)
        entry = Entry("lock" if lock else kind, -points, source, ref, now, allocations=allocations,
                      details=details or {})
        if lock:
            self.locks[ref] = allocations
            entry.locked_change = points
        return entry

    def confirm(self, lock_ref: str, *, now: dt.datetime) -> Entry:
        allocations = self._lock(lock_ref)
        self._claim("confirm", lock_ref)
        points = sum(a.points for a in allocations)
        del self.locks[lock_ref]
        return Entry("confirm", 0, "confirm", lock_ref, now, locked_change=-points)

    def cancel(self, lock_ref: str, *, now: dt.datetime) -> Entry:
        """Give reserved points back to the lots they came from (an expired lot expires them again)."""
        allocations = self._lock(lock_ref)
        self._claim("cancel", lock_ref)
        points = sum(a.points for a in allocations)
        for a in allocations:
            lot = self.lots[a.lot]
            lot.remaining += a.points
            lot.spent -= a.points
            if lot.state in (SPENT, EXPIRED):  # it was available when reserved; expire_due decides again
                lot.state = AVAILABLE
        del self.locks[lock_ref]
        return Entry("release", points, "cancel", lock_ref, now, locked_change=-points,
                     allocations=[Allocation(a.lot, -a.points) for a in allocations])

    def _lock(self, ref: str) -> list[Allocation]:
        if ref not in self.locks:
            raise KeyError(f"no open reservation {ref!r}")
        return self.locks[ref]

    def expire_due(self, now: dt.datetime) -> list[Entry]:
        """Expire what is left of every lot whose time has come, oldest expiry first."""
        entries = []
        due = sorted((l for l in self.lots.values()
                      if l.remaining > 0 and l.expires_at is not None and l.expires_at <= now), key=Lot.sort_key)
        for lot in due:
            points = lot.remaining
            ref = f"{lot.id}:{lot.expired}"
            self._claim("expiry", ref)
            lot.remaining, lot.expired = 0, lot.expired + points
            lot.state = EXPIRED
            entries.append(Entry("expire", -points, "expiry", ref, lot.expires_at, [Allocation(lot.id, points)],
                                 lot=lot.id))
        return entries

    def reverse(self, source: str, ref: str, order_ref: str, refunded: Fraction | tuple[int, int], *,
                now: dt.datetime, details: dict | None = None) -> Entry:
        """Take back the order's points in proportion to what has been refunded so far, in total.

        `refunded` is the cumulative refunded share of the order (refunded / paid), so a replayed
        or out-of-order refund cannot take back more than the order earned.
        """
        share = Fraction(*refunded) if isinstance(refunded, tuple) else Fraction(refunded)
        share = min(max(share, Fraction(0)), Fraction(1))
        self._claim(source, ref)
        lots = sorted((l for l in self.lots.values() if l.order_ref == order_ref), key=Lot.sort_key)
        earned = sum(l.points for l in lots)
        already = sum(l.reversed for l in lots)
        target = _round_half_up(earned * share)
        todo = max(target - already, 0)
        entry = Entry("reverse", 0, source, ref, now, details=details or {})
        # 1. what the order's own lots still hold (pending or available)
        for lot in lots:
            take = min(lot.remaining, todo)
            if take:
                lot.remaining -= take
                todo -= take
                _attribute([lot], take)
                entry.allocations.append(Allocation(lot.id, take))
                entry.points -= take
        # 2. points of the order that expired unused: nothing is left to take back
        for lot in lots:
            gone = min(lot.expired - lot.forfeited, todo)
            if gone > 0:
                lot.forfeited += gone
                todo -= gone
                _attribute([lot], gone)
                entry.forfeited += gone
        # 3. points already spent: the policy decides
        if todo:
            _attribute(lots, todo)
            if self.debt_policy == DEBT:
                self.debt += todo
                entry.debt_change = todo
                entry.points -= todo
            else:
                others = [l for l in self.spendable(now) if l.order_ref != order_ref]
                allocations = self._take(others, min(todo, max(self.available, 0)))
                taken = sum(a.points for a in allocations)
                entry.allocations.extend(allocations)
                entry.points -= taken
                entry.written_off = todo - taken
        entry.details = {**entry.details, "order": order_ref, "earned": earned, "reversed_total": target}
        for lot in lots:
            self._settle(lot)
        return entry

    def _settle(self, lot: Lot) -> None:
        if lot.remaining == 0 and lot.state in (PENDING, AVAILABLE):
            if lot.reversed == lot.points:
                lot.state = REVERSED
            elif lot.spent == 0 and lot.expired and not lot.reversed:
                lot.state = EXPIRED
            else:
                lot.state = SPENT


def _attribute(lots: list[Lot], points: int) -> None:
    """Count a reversal against the order's lots (each takes back at most what it earned)."""
    for lot in lots:
        take = min(lot.points - lot.reversed, points)
        lot.reversed += take
        points -= take
        if points == 0:
            return
    if points:
        raise AssertionError("a reversal larger than the order's earnings")


def _round_half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))
