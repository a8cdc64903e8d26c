"""Orders earn, refunds take back, return windows release, time expires: the ledger fed by the shop.

Each function is safe to run twice: an entry's (source, ref) is unique, and a seen key is
skipped before anything is written.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from fractions import Fraction

from sqlalchemy import String, and_, cast, func, literal, or_, select, update
from sqlalchemy.orm import Session

from guanxi.customers import loyalty_feed
from guanxi.customers.loyalty_feed import PaidOrder, RefundFact
from guanxi.loyalty import budgets, rules as rules_engine, store, tiers
from guanxi.db import utcnow
from guanxi.loyalty.models import (
    EarningRule, FeedCursor, PointAllocation, PointBalance, PointEntry, PointLot, TierStatus,
)
from guanxi.loyalty.rules import LineFacts, MemberFacts, OrderFacts

ORDER_SOURCE = "order"
REFUND_SOURCE = "refund"
EXPIRY_SOURCE = "expiry"
_LOT_COLUMNS = ("customer_id", "points", "remaining", "spent", "expired", "reversed", "forfeited", "state",
                "earned_at", "available_at", "expires_at", "source", "ref", "rule", "order_id", "details")


class RuleBook:
    """The rule versions by time, loaded once for a batch of orders."""

    def __init__(self, session: Session):
        self.rows = session.execute(select(EarningRule.name, EarningRule.active, EarningRule.definition,
                                           EarningRule.created_at).order_by(EarningRule.created_at,
                                                                            EarningRule.version)).all()
        self.daily_cap = any(r.definition.get("kind") == "cap" and r.definition.get("per_customer_day") is not None
                             for r in self.rows)
        self.times = [r.created_at for r in self.rows]
        self.default = {"base": dict(rules_engine.DEFAULT_BASE)}
        self.sets: dict[int, dict[str, dict]] = {}

    def at(self, when: dt.datetime) -> dict[str, dict]:
        """The rules in force at `when`; the same dict for every time between two rule edits."""
        if not self.rows:
            return self.default
        upto = bisect.bisect_right(self.times, when)
        if upto not in self.sets:
            latest = {}
            for name, active, definition, _created in self.rows[:upto]:
                latest[name] = definition if active else None
            self.sets[upto] = {n: d for n, d in latest.items() if d is not None}
        return self.sets[upto]


def rules_in_force(session: Session, at: dt.datetime) -> dict[str, dict]:
    """{name: definition}: the latest version of each rule made at or before `at`, when active."""
    return RuleBook(session).at(at)


def facts_of(order: PaidOrder) -> OrderFacts:
    return OrderFacts(placed_at=order.placed_at, total_minor=order.total_minor, shipping_minor=order.shipping_minor,
                      discount_minor=order.discount_minor, currency=order.currency, channel=order.channel,
                      store=order.store, first_order=order.first_order,
                      lines=tuple(LineFacts(sku, q, p, c) for sku, q, p, c in order.lines))


def _earned_on_local_day(session: Session, customer_id: int, at: dt.datetime, timezone: str) -> int:
    start = store.expiry.local_midnight(at.astimezone(store.expiry.ZoneInfo(timezone)).date(), timezone)
    end = start + dt.timedelta(days=1)
    rows = session.scalars(select(PointEntry.points).where(
        PointEntry.customer_id == customer_id, PointEntry.source == ORDER_SOURCE, PointEntry.kind == "earn",
        PointEntry.at >= start, PointEntry.at < end))
    return sum(rows)


def credit_order(session: Session, order: PaidOrder, rulebook: RuleBook, *, now: dt.datetime,
                 spend: budgets.Spend | None = None) -> int:
    """Credit a paid order (pending until its return window passes); returns the points, 0 if seen before."""
    ref = str(order.id)
    if store.entry_by_key(session, ORDER_SOURCE, ref) is not None:
        return 0
    own_spend = spend is None  # campaign budgets (budgets.py): locked before the balance, saved after
    spend = spend or budgets.for_rules(session, rulebook.rows, now=now)
    account = store.open_account(session, order.customer_id)
    if store.entry_by_key(session, ORDER_SOURCE, ref) is not None:  # credited while we waited for the lock
        return 0
    tier = tiers.tier_of(session, order.customer_id)
    earned_today = (_earned_on_local_day(session, order.customer_id, order.placed_at, order.timezone)
                    if rulebook.daily_cap else 0)
    rules = rulebook.at(order.placed_at)
    award = rules_engine.evaluate(facts_of(order), MemberFacts(order.timezone, tier, earned_today), rules,
                                  budgets=spend.left(rules))
    spend.charge(award.budget_use)
    if own_spend:
        spend.save()
    if award.points <= 0:
        return 0
    lot = account.new_lot(points=award.points, earned_at=order.placed_at, available_at=None,
                          expires_at=store.expires_for(session, order.placed_at, order.timezone),
                          source=ORDER_SOURCE, ref=ref, rule=",".join(award.rules)[:200], order_id=order.id,
                          details={"by_sku": award.by_sku, "explanations": award.explanations})
    entries = account.book.expire_due(now)
    earn = account.book.earn(lot, now=order.placed_at)
    earn.details = {"explanations": award.explanations, "currency": order.currency}
    account.write([*entries, earn], order_id=order.id)
    tiers.upgrade_if_qualified(session, order.customer_id, now=now)
    return award.points


def credit_batch(session: Session, orders: list[PaidOrder], rulebook: RuleBook, *, now: dt.datetime
                 ) -> tuple[int, int]:
    """Credit a page of paid orders in a few statements; returns (orders credited, points).

    Members with a debt to pay back, or a per-day cap to respect, go through credit_order one
    by one; the others only gain pending lots, which no redemption can touch, so their balance
    rows take a relative `pending + n` and need no lock held across the page.
    """
    refs = [str(o.id) for o in orders]
    seen = set(session.scalars(select(PointEntry.ref).where(PointEntry.source == ORDER_SOURCE,
                                                            PointEntry.ref.in_(store.inline("refs", refs)))))
    todo = [o for o in orders if str(o.id) not in seen and o.refunded_minor < o.total_minor]
    if not todo:
        return 0, 0
    cids = sorted({o.customer_id for o in todo})
    careful = set(cids) if rulebook.daily_cap else set(session.scalars(
        select(PointBalance.customer_id).where(PointBalance.customer_id.in_(store.inline("cids", cids)),
                                              PointBalance.debt > 0)))
    tier_of = dict(session.execute(select(TierStatus.customer_id, TierStatus.tier_code)
                                   .where(TierStatus.customer_id.in_(store.inline("cids", cids)))).all())
    program = store.program_settings(session)
    spend = budgets.for_rules(session, rulebook.rows, now=now)  # campaign budgets, counted across the page
    credited = points = 0
    lots, gains = [], defaultdict(int)
    for order in todo:
        if order.customer_id in careful:
            got = credit_order(session, order, rulebook, now=now, spend=spend)
            credited, points = credited + bool(got), points + got
            continue
        rules = rulebook.at(order.placed_at)
        award = rules_engine.evaluate(facts_of(order), MemberFacts(order.timezone, tier_of.get(order.customer_id)),
                                      rules, budgets=spend.left(rules))
        spend.charge(award.budget_use)
        if award.points <= 0:
            continue
        lots.append((order.customer_id, award.points, award.points, 0, 0, 0, 0, "pending", order.placed_at, None,
                     store.expiry.expires_at(order.placed_at, order.timezone, program.expiry_policy,
                                             program.expiry_months),
                     ORDER_SOURCE, str(order.id), ",".join(award.rules)[:200], order.id,
                     {"by_sku": award.by_sku, "explanations": award.explanations}))
        gains[order.customer_id] += award.points
    if lots:
        # Lots through the driver (COPY / executemany); the earn entries are made from the lots just
        # written, in one INSERT ... SELECT; the balances gain in one upsert per member.
        store.insert_rows(session, PointLot.__table__, _LOT_COLUMNS, lots)
        l, e = PointLot.__table__.c, PointEntry.__table__
        session.execute(e.insert().from_select(
            ["customer_id", "kind", "points", "source", "ref", "at", "lot_id", "order_id", "debt_change",
             "locked_change", "written_off", "forfeited", "details", "created_at"],
            select(l.customer_id, literal("earn"), l.points, l.source, l.ref, l.earned_at, l.id, l.order_id,
                   literal(0), literal(0), literal(0), literal(0), literal({}, e.c.details.type),
                   literal(now, e.c.created_at.type))
            .where(l.source == ORDER_SOURCE, l.ref.in_(store.inline("refs", [lot[12] for lot in lots])))))
        store.add_pending(session, gains, now)
        credited += len(lots)
        points += sum(gains.values())
    spend.save()
    if tiers.ladder(session):
        for cid in gains:
            tiers.upgrade_if_qualified(session, cid, now=now)
    return credited, points


def reverse_refund(session: Session, refund: RefundFact, *, now: dt.datetime) -> int:
    """Take back the order's points in proportion to its refunded total; returns the points taken."""
    ref = str(refund.id)
    if store.entry_by_key(session, REFUND_SOURCE, ref) is not None:
        return 0
    has_lot = session.scalar(select(PointLot.customer_id).where(PointLot.order_id == refund.order_id).limit(1))
    if has_lot is None:
        return 0  # the order earned nothing (or was refunded in full before it was credited)
    account = store.open_account(session, has_lot)
    if store.entry_by_key(session, REFUND_SOURCE, ref) is not None:
        return 0
    account.load_order_lots(refund.order_id)
    share = refund_share(refund, [account.rows[i].details for i in account.rows
                                  if account.rows[i].order_id == refund.order_id])
    entries = account.book.expire_due(now)
    entry = account.book.reverse(REFUND_SOURCE, ref, str(refund.order_id), share, now=now,
                                 details={"refund_minor": refund.amount_minor})
    account.write([*entries, entry], order_id=refund.order_id)
    return -entry.points


def refund_share(refund: RefundFact, lot_details: list[dict]) -> Fraction:
    """The share of the order's points that its refunds so far take back.

    By lines when every refund named lines and the points per line are known (a refunded
    double-points lipstick takes back more than a tea of the same price); else by amount.
    """
    by_sku: dict[str, int] = {}
    for details in lot_details:
        for sku, pts in (details or {}).get("by_sku", {}).items():
            by_sku[sku] = by_sku.get(sku, 0) + pts
    earned = sum(by_sku.values())
    if refund.lines_to_date is not None and refund.order_quantities and earned > 0:
        taken = sum(Fraction(by_sku.get(sku, 0) * qty, max(refund.order_quantities.get(sku, 0), 1))
                    for sku, qty in refund.lines_to_date.items())
        return min(taken / earned, Fraction(1))
    return Fraction(refund.refunded_to_date_minor, max(refund.order_total_minor, 1))


def _read_cursor(session: Session, name: str) -> FeedCursor:
    row = session.get(FeedCursor, name, with_for_update=True)
    if row is None:
        row = FeedCursor(name=name, position=0, at=None)
        session.add(row)
        session.flush()
    return row


def credit_paid_orders(factory, *, now: dt.datetime, batch: int = 2000) -> dict:
    """Credit every paid order not yet credited, page by page (each page its own transaction).

    New orders come by id after the cursor; then orders up to the cursor changed since the
    previous run (paid after they were first seen) get their turn. Both passes are idempotent.
    """
    credited = points = 0
    started = utcnow()  # wall-clock, like the orders' updated_at
    with factory() as session:
        cursor = _read_cursor(session, "orders")
        start_id, last_run = cursor.position, cursor.at
        session.commit()
    passes = [(start_id, None)] + ([(0, last_run - dt.timedelta(minutes=5))] if last_run is not None else [])
    top = start_id
    for after, since in passes:
        while True:
            with factory() as session:
                orders, scanned = loyalty_feed.paid_orders(session, after, batch, changed_since=since,
                                                            through_id=start_id if since is not None else None)
                if orders:
                    with store.large_page_cache(session):
                        got = credit_batch(session, orders, RuleBook(session), now=now)
                    credited, points = credited + got[0], points + got[1]
                if scanned is not None:
                    after = scanned
                    if since is None:
                        top = max(top, after)
                        cursor = _read_cursor(session, "orders")
                        cursor.position = max(cursor.position, top)
                session.commit()
            if scanned is None:
                break
    with factory() as session:
        cursor = _read_cursor(session, "orders")
        cursor.at = started
        session.commit()
    return {"orders_credited": credited, "points": points}


def reverse_refunds(factory, *, now: dt.datetime, batch: int = 500) -> dict:
    reversed_points = seen = 0
    while True:
        with factory() as session:
            cursor = _read_cursor(session, "refunds")
            refunds = loyalty_feed.refunds_after(session, cursor.position, batch)
            for refund in refunds:
                reversed_points += reverse_refund(session, refund, now=now)
                seen += 1
            if refunds:
                cursor.position = refunds[-1].id
            session.commit()
        if len(refunds) < batch:
            break
    return {"refunds": seen, "points_reversed": reversed_points}


def release_pending(factory, *, now: dt.datetime) -> dict:
    """Pending → available for lots whose order's return window has closed (or whose time has come)."""
    released = 0
    with factory() as session:
        days = store.program_settings(session).return_days
        rows = session.execute(select(PointLot.id, PointLot.customer_id, PointLot.order_id, PointLot.available_at)
                               .where(PointLot.state == "pending")).all()
        closed = loyalty_feed.return_windows_closed(session, [r.order_id for r in rows if r.order_id], now, days)
        due = defaultdict(list)
        for lot_id, cid, order_id, available_at in rows:
            if (order_id is not None and order_id in closed) or (available_at is not None and available_at <= now):
                due[cid].append(lot_id)
        for cid, lot_ids in due.items():
            account = store.open_account(session, cid)
            for lot_id in lot_ids:
                if lot_id in account.book.lots and account.book.release(lot_id, now):
                    released += 1
            account.write([])
        session.commit()
    return {"lots_released": released}


def expire_points(factory, *, now: dt.datetime, batch: int = 50_000) -> dict:
    """Expire every lot whose time has come, in set-based statements, `batch` lots per transaction;
    a second run finds nothing.

    A slice is the soonest-expiring due lots, up to the `batch`-th by (expires_at, id). Its members'
    balance rows are locked first (in id order), so a redemption running at the same time either
    sees a lot expired or spends from it before it expires, never both. Then, all in SQL: one
    expire entry per lot (ref "<lot>:<expired so far>", as Book.expire_due makes it), its
    allocation, the balances less what their pending and available lots lost, and the lots emptied.
    Each statement after the first reads the lots through the entries just made (ids after the
    largest before), so a lot written by someone else meanwhile is never emptied without one.
    """
    expired = points = 0
    lots, entries = PointLot.__table__, PointEntry.__table__
    l, e = lots.c, entries.c
    while True:
        with factory() as session:
            due = [l.remaining > 0, l.expires_at <= now]
            bound = session.execute(select(l.expires_at, l.id).where(*due).order_by(l.expires_at, l.id)
                                    .offset(batch - 1).limit(1)).first()
            if bound is not None:
                due.append(or_(l.expires_at < bound.expires_at, and_(l.expires_at == bound.expires_at,
                                                                      l.id <= bound.id)))
            if session.get_bind().dialect.name == "postgresql":  # SQLite: the write transaction is exclusive
                session.execute(select(PointBalance.customer_id).where(PointBalance.customer_id.in_(
                    select(l.customer_id).where(*due))).order_by(PointBalance.customer_id).with_for_update())
            retry = False
            with store.large_page_cache(session):
                top = session.scalar(select(func.max(e.id))) or 0
                ref = cast(l.id, String) + literal(":") + cast(l.expired, String)
                session.execute(entries.insert().from_select(
                    ["customer_id", "kind", "points", "source", "ref", "at", "lot_id", "debt_change",
                     "locked_change", "written_off", "forfeited", "details", "created_at"],
                    select(l.customer_id, literal("expire"), -l.remaining, literal(EXPIRY_SOURCE), ref,
                           l.expires_at, l.id, literal(0), literal(0), literal(0), literal(0),
                           literal({}, e.details.type), literal(now, e.created_at.type)).where(*due)))
                # the entries just made (after `top`, by id) with their lots, still as they were
                made = (select(e.id.label("entry_id"), l.id.label("lot_id"), l.customer_id, l.state, l.remaining)
                        .select_from(entries.join(lots, l.id == e.lot_id))
                        .where(e.id > top, e.kind == "expire", e.ref == ref, l.remaining > 0).subquery())
                losses: dict[int, tuple[int, int]] = {}
                count = lost = 0
                for cid, state, remaining in session.execute(select(made.c.customer_id, made.c.state,
                                                                    made.c.remaining)):
                    p, a = losses.get(cid, (0, 0))
                    losses[cid] = (p + remaining, a) if state == "pending" else (p, a + remaining)
                    count, lost = count + 1, lost + remaining
                if count:
                    session.execute(PointAllocation.__table__.insert().from_select(
                        ["entry_id", "lot_id", "points"], select(made.c.entry_id, made.c.lot_id, made.c.remaining)))
                    store.take_from_balances(session, losses, now)
                    emptied = session.execute(update(lots).where(l.id.in_(select(made.c.lot_id)))
                        .values(expired=l.expired + l.remaining, remaining=0, state="expired"))
                    retry = emptied.rowcount != count
                    if not retry:
                        expired += count
                        points += int(lost)
            if retry:  # someone wrote these lots meanwhile: try the slice again
                session.rollback()
                continue
            session.commit()
        if bound is None:
            break
    return {"lots_expired": expired, "points_expired": points}
