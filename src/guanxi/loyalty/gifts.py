"""Spend-threshold gifts (满额赠送): spend at least X in one order, or in a calendar month in the member's
time zone, and get a gift from the rewards catalogue (its stock taken), once per order / once per month.

    {"kind": "gift", "period": "order", "min_spend_minor": 50000, "currency": "CNY", "reward_id": 7,
     "label": "满500送面膜"}

Spend is what the member paid (shipping included) less refunds. A refund that brings the order
(or the month) back under the threshold reverses the gift and puts it back in stock — while the
gift has not shipped; once staff mark it shipped it stays given. A month whose gift was reversed
gets it again if a later order brings it over the threshold again.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from guanxi.customers import loyalty_feed
from guanxi.customers.loyalty_feed import PaidOrder
from guanxi.db import utcnow
from guanxi.errors import Conflict, NotFound
from guanxi.loyalty.earning import RuleBook, _read_cursor
from guanxi.loyalty.expiry import local_midnight
from guanxi.loyalty.models import GiftGrant, Reward

log = logging.getLogger(__name__)
PERIODS = ("order", "month")
GRANTED, SHIPPED, REVERSED, UNAVAILABLE = "granted", "shipped", "reversed", "unavailable"
_FIELDS = {"kind", "period", "min_spend_minor", "currency", "reward_id", "label"}


def validate(rule: dict, bad) -> dict:
    for key in rule:
        if key not in _FIELDS:
            bad(key, "not a field of a gift rule")
    if rule.get("period") not in PERIODS:
        bad("period", "order or month")
    for key in ("min_spend_minor", "reward_id"):
        value = rule.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            bad(key, "a whole number ≥ 1")
    currency = rule.get("currency")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        bad("currency", "a three-letter currency code, e.g. CNY")
    return rule


def month_of(at: dt.datetime, timezone: str) -> tuple[str, dt.datetime, dt.datetime]:
    """("YYYY-MM", start, end) of the member's local calendar month holding `at` (start and end in UTC)."""
    from zoneinfo import ZoneInfo

    day = at.astimezone(ZoneInfo(timezone)).date().replace(day=1)
    after = (day + dt.timedelta(days=32)).replace(day=1)
    return day.strftime("%Y-%m"), local_midnight(day, timezone), local_midnight(after, timezone)


def explain(rule: dict, name: str, spend: int) -> str:
    scope = "in one order" if rule["period"] == "order" else "this month"
    return (f"{rule.get('label') or name}: spent {spend / 100:.2f} {rule['currency']} {scope} "
            f"(≥ {rule['min_spend_minor'] / 100:.2f}) → gift")


def _gift_rules(rules: dict[str, dict], currency: str) -> dict[str, dict]:
    return {n: d for n, d in rules.items() if d.get("kind") == "gift" and d.get("currency") == currency}


def consider(session: Session, order: PaidOrder, rules: dict[str, dict], *, now: dt.datetime) -> int:
    """Grant the gifts this order (or its month) has earned; returns the gifts granted."""
    granted = 0
    for name, rule in sorted(_gift_rules(rules, order.currency).items()):
        if rule["period"] == "order":
            period, spend = f"order:{order.id}", order.total_minor - order.refunded_minor
        else:
            month, start, end = month_of(order.placed_at, order.timezone)
            period = f"month:{month}"
            spend = loyalty_feed.qualifying_spend(session, [order.customer_id], start, end,
                                                  currency=order.currency).get(order.customer_id, (0, 0))[0]
        if spend < rule["min_spend_minor"]:
            continue
        granted += _grant(session, name, rule, order, period, spend, now=now)
    return granted


def _grant(session: Session, name: str, rule: dict, order: PaidOrder, period: str, spend: int, *,
           now: dt.datetime) -> int:
    row = session.scalar(select(GiftGrant).where(GiftGrant.rule == name, GiftGrant.customer_id == order.customer_id,
                                                 GiftGrant.period == period).with_for_update())
    if row is not None and row.status != REVERSED:
        return 0
    if session.get(Reward, rule["reward_id"]) is None:
        return 0  # the rule was checked when written; a reward is never deleted, but be safe
    taken = session.execute(update(Reward).where(
        Reward.id == rule["reward_id"], Reward.active.is_(True), (Reward.stock.is_(None)) | (Reward.stock > 0))
        .values(stock=Reward.stock - 1)).rowcount == 1
    status = GRANTED if taken else UNAVAILABLE
    if not taken:
        log.warning("gift rule %s: reward %s is out of stock or withdrawn", name, rule["reward_id"])
    if row is None:
        row = GiftGrant(rule=name, customer_id=order.customer_id, period=period, created_at=now)
        session.add(row)
    row.reward_id, row.order_id, row.spend_minor = rule["reward_id"], order.id, spend
    row.threshold_minor, row.currency, row.status = rule["min_spend_minor"], order.currency, status
    row.explanation, row.decided_at = explain(rule, name, spend), now
    session.flush()
    return int(taken)


def still_due(session: Session, grant: GiftGrant, timezone: str) -> int:
    """The spend that grant's order or month stands at now."""
    if grant.period.startswith("order:"):
        return loyalty_feed.net_paid(session, [grant.order_id]).get(grant.order_id, 0)
    year, month = (int(p) for p in grant.period.removeprefix("month:").split("-"))
    _key, start, end = month_of(local_midnight(dt.date(year, month, 15), timezone), timezone)
    return loyalty_feed.qualifying_spend(session, [grant.customer_id], start, end,
                                         currency=grant.currency).get(grant.customer_id, (0, 0))[0]


def reverse_refunded(session: Session, *, now: dt.datetime) -> int:
    """Reverse the unshipped gifts whose order or month a refund has brought under the threshold."""
    waiting = list(session.scalars(select(GiftGrant).where(GiftGrant.status == GRANTED).order_by(GiftGrant.id)))
    zones = loyalty_feed.timezones(session, sorted({g.customer_id for g in waiting}))
    reversed_ = 0
    for grant in waiting:
        spend = still_due(session, grant, zones.get(grant.customer_id) or "UTC")
        if spend >= grant.threshold_minor:
            continue
        done = session.execute(update(GiftGrant).where(GiftGrant.id == grant.id, GiftGrant.status == GRANTED)
                               .values(status=REVERSED, decided_at=now, spend_minor=spend))
        if done.rowcount == 1:
            session.execute(update(Reward).where(Reward.id == grant.reward_id, Reward.stock.is_not(None))
                            .values(stock=Reward.stock + 1))
            reversed_ += 1
    session.flush()
    return reversed_


def run(factory, *, now: dt.datetime, batch: int = 1000) -> dict:
    """New paid orders (by id, then the ones changed since the last run) → gifts; refunds → reversals."""
    granted = 0
    with factory() as session:
        cursor = _read_cursor(session, "gift-orders")
        start_id, last_run = cursor.position, cursor.at
        any_rule = any(r.definition.get("kind") == "gift" for r in RuleBook(session).rows)
        session.commit()
    started = utcnow()
    passes = [(start_id, None)] + ([(0, last_run - dt.timedelta(minutes=5))] if last_run is not None else [])
    if not any_rule:
        passes = []  # no gift rule was ever made: no order to look at (the first rule starts from the cursor)
    for after, since in passes:
        while True:
            with factory() as session:
                orders, scanned = loyalty_feed.paid_orders(session, after, batch, changed_since=since,
                                                            through_id=start_id if since is not None else None)
                book = RuleBook(session)
                for order in orders:
                    granted += consider(session, order, book.at(order.placed_at), now=now)
                if scanned is not None:
                    after = scanned
                    if since is None:
                        cursor = _read_cursor(session, "gift-orders")
                        cursor.position = max(cursor.position, after)
                session.commit()
            if scanned is None:
                break
    with factory() as session:
        reversed_ = reverse_refunded(session, now=now)
        cursor = _read_cursor(session, "gift-orders")
        cursor.at = started
        session.commit()
    return {"gifts_granted": granted, "gifts_reversed": reversed_}


def mark_shipped(session: Session, grant_id: int, *, now: dt.datetime | None = None) -> GiftGrant:
    grant = session.get(GiftGrant, grant_id, with_for_update=True)
    if grant is None:
        raise NotFound(f"no gift {grant_id}")
    if grant.status == SHIPPED:
        return grant
    if grant.status != GRANTED:
        raise Conflict(f"gift {grant_id} is {grant.status}; only a granted gift ships")
    grant.status, grant.decided_at = SHIPPED, now or utcnow()
    session.flush()
    return grant


_GIFTS = (select(GiftGrant, Reward.name).join(Reward, Reward.id == GiftGrant.reward_id)  # built once: on every
          .where(GiftGrant.customer_id == bindparam("cid"))                          # balance look-up
          .order_by(GiftGrant.created_at.desc(), GiftGrant.id.desc()).limit(bindparam("limit")))


def gifts_of(session: Session, customer_id: int, limit: int = 50) -> list[dict]:
    rows = session.execute(_GIFTS, {"cid": customer_id, "limit": limit}).all()
    return [{"id": g.id, "rule": g.rule, "reward_id": g.reward_id, "reward": name, "period": g.period,
             "order_id": g.order_id, "status": g.status, "explanation": g.explanation, "created_at": g.created_at}
            for g, name in rows]
