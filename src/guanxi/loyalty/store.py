"""The ledger on storage: load a member's Book under a lock, run a ledger rule, write what it returns.

Every write takes the member's balance row FOR UPDATE first (SQLite: the write transaction
is already exclusive), so two redemptions of the same points queue and the second one sees
what the first one spent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import JSON, Table, bindparam, func, select
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.loyalty import expiry
from guanxi.loyalty.ledger import PENDING, Allocation, Book, Entry, Lot
from guanxi.loyalty.models import (
    LoyaltySettings, PointAllocation, PointBalance, PointEntry, PointLot, Redemption,
)

_LOT_FIELDS = ("remaining", "spent", "expired", "reversed", "forfeited", "state", "available_at")


def placeholder(session: Session) -> str:
    """The driver's positional parameter marker, for statements run with exec_driver_sql."""
    return "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"


def inline(name: str, values) -> object:
    """A page of keys (ints, or refs made from ints) written into the SQL of an IN list: thousands of
    bound parameters cost more to send, and with psycopg to parse, than the query takes to run."""
    return bindparam(name, sorted(values), expanding=True, literal_execute=True)


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Many rows (tuples in `columns` order) in the session's transaction, straight through the driver:
    COPY on PostgreSQL, executemany on SQLite. Values go through the columns' own types (UTC
    datetimes, JSON), so they read back like any other row; no per-row work by SQLAlchemy besides.
    """
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name == "postgresql":
        jsons = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                if jsons:
                    row = list(row)
                    for i in jsons:
                        row[i] = None if row[i] is None else json.dumps(row[i])
                copy.write_row(row)
        return
    procs = [(i, p) for i, c in enumerate(columns) if (p := table.c[c].type.bind_processor(dialect)) is not None]
    if procs:
        def convert(row):
            row = list(row)
            for i, p in procs:
                row[i] = p(row[i])
            return tuple(row)
        rows = map(convert, rows)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         list(rows))


def add_pending(session: Session, gains: dict[int, int], now: dt.datetime) -> None:
    """Members' balances gain pending points (rows made as needed): one upsert per member, in id order."""
    p = placeholder(session)
    at = _bind_time(session, now)
    session.connection().exec_driver_sql(
        f"INSERT INTO loyalty_balances (customer_id, available, pending, locked, debt, updated_at) "
        f"VALUES ({p}, 0, {p}, 0, 0, {p}) ON CONFLICT (customer_id) DO UPDATE SET "
        f"pending = loyalty_balances.pending + excluded.pending, updated_at = excluded.updated_at",
        [(cid, gain, at) for cid, gain in sorted(gains.items())])


def take_from_balances(session: Session, losses: dict[int, tuple[int, int]], now: dt.datetime) -> None:
    """Members' balances lose (pending, available) points: one update per member, in id order."""
    p = placeholder(session)
    at = _bind_time(session, now)
    session.connection().exec_driver_sql(
        f"UPDATE loyalty_balances SET pending = pending - {p}, available = available - {p}, updated_at = {p} "
        f"WHERE customer_id = {p}", [(lost[0], lost[1], at, cid) for cid, lost in sorted(losses.items())])


def _bind_time(session: Session, value: dt.datetime):
    """A datetime as the driver takes it for a UTCDateTime column (SQLite: SQLAlchemy's text form)."""
    dialect = session.get_bind().dialect
    return value if dialect.name == "postgresql" else PointBalance.__table__.c.updated_at.type.bind_processor(
        dialect)(value)


@contextmanager
def large_page_cache(session: Session, mib: int = 128) -> Iterator[None]:
    """SQLite: a bigger page cache for this transaction's bulk work (a page of lots or of expiries
    touches index pages all over million-row tables; the default 2 MB thrashes). Set back after."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    conn = session.connection()
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
    conn.exec_driver_sql(f"PRAGMA cache_size={-1024 * mib}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={before}")


def program_settings(session: Session) -> LoyaltySettings:
    row = session.get(LoyaltySettings, 1)
    return row if row is not None else LoyaltySettings(id=1, debt_policy="debt", expiry_policy="rolling",
                                                      expiry_months=24, return_days=7, tier_window_months=12,
                                                      referrer_points=500, friend_points=200, referrals_per_month=10)


def save_settings(session: Session, **values) -> LoyaltySettings:
    row = session.get(LoyaltySettings, 1)
    if row is None:
        row = program_settings(session)
        session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def expires_for(session: Session, earned_at: dt.datetime, timezone: str) -> dt.datetime | None:
    s = program_settings(session)
    return expiry.expires_at(earned_at, timezone, s.expiry_policy, s.expiry_months)


@dataclass
class Account:
    """One member's Book, loaded for a write, and what is needed to store its changes."""

    session: Session
    customer_id: int
    book: Book
    balance: PointBalance
    rows: dict[int, PointLot]
    snapshot: dict[int, tuple]

    def new_lot(self, *, points: int, earned_at: dt.datetime, available_at: dt.datetime | None,
                expires_at: dt.datetime | None, source: str, ref: str, rule: str | None = None,
                order_id: int | None = None, details: dict | None = None) -> Lot:
        row = PointLot(customer_id=self.customer_id, points=points, remaining=points, state=PENDING,
                       earned_at=earned_at, available_at=available_at, expires_at=expires_at, source=source,
                       ref=ref, rule=rule, order_id=order_id, details=details or {})
        self.session.add(row)
        self.session.flush()
        self.rows[row.id] = row
        self.snapshot[row.id] = ()
        return Lot(id=row.id, points=points, earned_at=earned_at, available_at=available_at, expires_at=expires_at,
                   source=source, ref=ref, rule=rule, order_ref=None if order_id is None else str(order_id))

    def load_order_lots(self, order_id: int) -> None:
        """Closed lots of an order too (a refund after the points were spent needs them)."""
        for row in self.session.scalars(select(PointLot).where(PointLot.customer_id == self.customer_id,
                                                               PointLot.order_id == order_id)):
            self._add(row)

    def _add(self, row: PointLot) -> None:
        if row.id in self.rows:
            return
        self.rows[row.id] = row
        self.snapshot[row.id] = tuple(getattr(row, f) for f in _LOT_FIELDS)
        self.book.lots[row.id] = Lot(
            id=row.id, points=row.points, earned_at=row.earned_at, available_at=row.available_at,
            expires_at=row.expires_at, source=row.source, ref=row.ref, rule=row.rule,
            order_ref=None if row.order_id is None else str(row.order_id), remaining=row.remaining,
            spent=row.spent, expired=row.expired, reversed=row.reversed, forfeited=row.forfeited, state=row.state)

    def write(self, entries: list[Entry], *, actor: str | None = None, reason: str | None = None,
              order_id: int | None = None) -> list[PointEntry]:
        """Store the entries and the lots they changed, and refresh the cached balance."""
        stored = []
        for entry in entries:
            row = PointEntry(customer_id=self.customer_id, kind=entry.kind, points=entry.points, source=entry.source,
                             ref=entry.ref, at=entry.at, lot_id=entry.lot, order_id=order_id,
                             debt_change=entry.debt_change, locked_change=entry.locked_change,
                             written_off=entry.written_off, forfeited=entry.forfeited, actor=actor, reason=reason,
                             details=entry.details)
            self.session.add(row)
            stored.append(row)
        self.session.flush()
        allocations = [{"entry_id": row.id, "lot_id": a.lot, "points": a.points}
                       for row, entry in zip(stored, entries) for a in entry.allocations]
        if allocations:
            self.session.execute(PointAllocation.__table__.insert(), allocations)
        for lot_id, lot in self.book.lots.items():
            row = self.rows[lot_id]
            values = tuple(getattr(lot, f) for f in _LOT_FIELDS)
            if values != self.snapshot.get(lot_id):
                for f, v in zip(_LOT_FIELDS, values):
                    setattr(row, f, v)
                self.snapshot[lot_id] = values
        bal = self.book.balance()
        self.balance.available, self.balance.pending = bal["available"], bal["pending"]
        self.balance.locked, self.balance.debt = bal["locked"], bal["debt"]
        self.balance.updated_at = utcnow()
        self.session.flush()
        return stored


def open_account(session: Session, customer_id: int) -> Account:
    """Lock the member's balance row and load the open lots and reservations."""
    session.execute(insert_ignoring_conflicts(session, PointBalance, ["customer_id"]),
                    {"customer_id": customer_id, "available": 0, "pending": 0, "locked": 0, "debt": 0,
                     "updated_at": utcnow()})
    balance = session.scalar(select(PointBalance).where(PointBalance.customer_id == customer_id)
                             .with_for_update().execution_options(populate_existing=True))
    book = Book(debt=balance.debt, debt_policy=program_settings(session).debt_policy)
    account = Account(session, customer_id, book, balance, {}, {})
    for row in session.scalars(select(PointLot).where(PointLot.customer_id == customer_id,
                                                      PointLot.remaining > 0)):
        account._add(row)
    for row in session.scalars(select(PointLot).where(PointLot.customer_id == customer_id,
                                                      PointLot.state == PENDING)):
        account._add(row)
    reserved = session.execute(
        select(Redemption.entry_ref, PointAllocation.lot_id, PointAllocation.points)
        .join(PointEntry, (PointEntry.source == "redemption") & (PointEntry.ref == Redemption.entry_ref))
        .join(PointAllocation, PointAllocation.entry_id == PointEntry.id)
        .where(Redemption.customer_id == customer_id, Redemption.status == "reserved"))
    for ref, lot_id, points in reserved:
        book.locks.setdefault(ref, []).append(Allocation(lot_id, points))
    held = {a.lot for allocs in book.locks.values() for a in allocs} - set(account.rows)
    if held:  # a reservation may hold a lot's last points: cancelling gives them back to it
        for row in session.scalars(select(PointLot).where(PointLot.id.in_(held))):
            account._add(row)
    return account


def credit(session: Session, customer_id: int, points: int, source: str, ref: str, rule: str,
           now: dt.datetime) -> bool:
    """Earn `points` at once (a referral reward, attendance at an event), once per (source, ref)."""
    if points <= 0 or entry_by_key(session, source, ref) is not None:
        return False
    customer = profiles.live_customer(session, customer_id)
    account = open_account(session, customer.id)
    if entry_by_key(session, source, ref) is not None:  # written while this one waited for the lock
        return False
    lot = account.new_lot(points=points, earned_at=now, available_at=now,
                          expires_at=expires_for(session, now, customer.timezone or "UTC"),
                          source=source, ref=ref, rule=rule)
    account.write([account.book.earn(lot, now=now)])
    return True


def entry_by_key(session: Session, source: str, ref: str) -> PointEntry | None:
    return session.scalar(select(PointEntry).where(PointEntry.source == source, PointEntry.ref == ref))


# the two reads behind every balance look-up, built once (building and keying a statement costs more than running it)
_BALANCE = select(PointBalance.available, PointBalance.pending, PointBalance.locked,
                  PointBalance.debt).where(PointBalance.customer_id == bindparam("cid"))
_EXPIRING = (select(PointLot.expires_at, func.sum(PointLot.remaining))
             .where(PointLot.customer_id == bindparam("cid"), PointLot.remaining > 0,
                    PointLot.expires_at > bindparam("now", type_=PointLot.expires_at.type),
                    PointLot.expires_at <= bindparam("horizon", type_=PointLot.expires_at.type))
             .group_by(PointLot.expires_at).order_by(PointLot.expires_at))


def balance_of(session: Session, customer_id: int) -> dict:
    """The cached balance, read by primary key as four integers (no ORM object to build)."""
    row = session.execute(_BALANCE, {"cid": customer_id}).first()
    if row is None:
        return {"available": 0, "pending": 0, "locked": 0, "debt": 0}
    return {"available": row.available, "pending": row.pending, "locked": row.locked, "debt": row.debt}


def expiring_points(session: Session, customer_id: int, now: dt.datetime, days: int) -> list[dict]:
    """What expiry.expiring_soon() says of the member's open lots, summed by the database: the points
    left per expiry instant in (now, now + days], soonest first, read through the member's lots index."""
    rows = session.execute(_EXPIRING, {"cid": customer_id, "now": now, "horizon": now + dt.timedelta(days=days)})
    return [{"points": int(points), "expires_at": at} for at, points in rows]


def open_lots(session: Session, customer_id: int) -> list[PointLot]:
    return list(session.scalars(select(PointLot).where(PointLot.customer_id == customer_id, PointLot.remaining > 0)
                                .order_by(PointLot.expires_at, PointLot.id)))


def rebuild(session: Session, customer_id: int) -> dict:
    """The balance as the entries, allocations and lots say it is (what the cache must hold)."""
    sums = session.execute(select(func.coalesce(func.sum(PointEntry.points), 0),
                                  func.coalesce(func.sum(PointEntry.locked_change), 0),
                                  func.coalesce(func.sum(PointEntry.debt_change), 0))
                           .where(PointEntry.customer_id == customer_id)).one()
    pending = session.scalar(select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
        PointLot.customer_id == customer_id, PointLot.state == PENDING))
    total, locked, debt = (int(v) for v in sums)
    return {"available": total - int(pending), "pending": int(pending), "locked": locked, "debt": debt}


def verify(session: Session, customer_ids: Iterable[int] | None = None) -> list[dict]:
    """Every member whose cached balance or lots disagree with the entries: [{customer_id, cached, rebuilt}].

    What rebuild() says of each member, for all of them (or `customer_ids`) in three grouped
    queries rather than three queries a member.
    """
    e, l, b = PointEntry.__table__.c, PointLot.__table__.c, PointBalance.__table__.c
    scope = None if customer_ids is None else sorted(set(customer_ids))

    def scoped(stmt, column):
        return stmt if scope is None else stmt.where(column.in_(inline("scope", scope)))

    sums = {cid: (int(total), int(locked), int(debt)) for cid, total, locked, debt in session.execute(scoped(
        select(e.customer_id, func.sum(e.points), func.sum(e.locked_change), func.sum(e.debt_change))
        .group_by(e.customer_id), e.customer_id))}
    pending = {cid: int(p) for cid, p in session.execute(scoped(
        select(l.customer_id, func.sum(l.remaining)).where(l.state == PENDING).group_by(l.customer_id),
        l.customer_id))}
    cached = {row[0]: dict(zip(("available", "pending", "locked", "debt"), row[1:])) for row in session.execute(
        scoped(select(b.customer_id, b.available, b.pending, b.locked, b.debt), b.customer_id))}
    problems = []
    zero = {"available": 0, "pending": 0, "locked": 0, "debt": 0}
    for cid in sorted(set(sums) | set(cached)):
        total, locked, debt = sums.get(cid, (0, 0, 0))
        held = pending.get(cid, 0)
        rebuilt = {"available": total - held, "pending": held, "locked": locked, "debt": debt}
        if cached.get(cid, zero) != rebuilt:
            problems.append({"customer_id": cid, "cached": cached.get(cid, zero), "rebuilt": rebuilt})
    # A lot's remaining is its points less everything allocated from it.
    taken = (select(PointAllocation.lot_id, func.sum(PointAllocation.points).label("taken"))
             .group_by(PointAllocation.lot_id).subquery())
    bad = session.execute(scoped(select(PointLot.id, PointLot.customer_id, PointLot.points, PointLot.remaining,
                                        func.coalesce(taken.c.taken, 0))
                                 .outerjoin(taken, taken.c.lot_id == PointLot.id)
                                 .where(PointLot.points - func.coalesce(taken.c.taken, 0) != PointLot.remaining),
                                 PointLot.customer_id))
    for lot_id, cid, points, remaining, used in bad:
        problems.append({"customer_id": cid, "lot_id": lot_id, "remaining": remaining,
                         "rebuilt": int(points) - int(used)})
    return problems


def repair(session: Session, customer_id: int) -> None:
    """Set the cache from the entries (after a merge moved rows between members)."""
    rebuilt = rebuild(session, customer_id)
    session.execute(insert_ignoring_conflicts(session, PointBalance, ["customer_id"]),
                    {"customer_id": customer_id, **rebuilt, "updated_at": utcnow()})
    row = session.get(PointBalance, customer_id, populate_existing=True)
    for key, value in rebuilt.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()


def lots_expiring_between(session: Session, since: dt.datetime, until: dt.datetime) -> dict[int, list[PointLot]]:
    """customer id -> their lots with points left that expire in (since, until]: for reminders in bulk."""
    out: dict[int, list[PointLot]] = {}
    for lot in session.scalars(select(PointLot).where(PointLot.remaining > 0, PointLot.expires_at > since,
                                                      PointLot.expires_at <= until)
                               .order_by(PointLot.customer_id, PointLot.expires_at, PointLot.id)):
        out.setdefault(lot.customer_id, []).append(lot)
    return out
