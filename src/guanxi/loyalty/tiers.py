"""Tiers on qualifying spend over a rolling window, never on the spendable balance.

Upgrade at once when an order qualifies; downgrade only at the evaluation date, one step at a
time; a manual assignment holds until its end date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from guanxi.customers import loyalty_feed
from guanxi.db import utcnow
from guanxi.loyalty import expiry, store
from guanxi.loyalty.models import PointBalance, Tier, TierStatus
from guanxi.privacy import audit
from guanxi.staff.roles import SYSTEM


@dataclass(frozen=True)
class Step:
    code: str
    rank: int
    min_spend_minor: int
    min_orders: int


def qualifies(spend_minor: int, orders: int, ladder: list[Step]) -> Step | None:
    """The highest step whose every threshold is met (pure)."""
    best = None
    for step in sorted(ladder, key=lambda s: s.rank):
        if spend_minor >= step.min_spend_minor and orders >= step.min_orders:
            best = step
    return best


def next_tier(current: str | None, decided: Step | None, ladder: list[Step], *, may_downgrade: bool) -> str | None:
    """Where a member goes: up at once; down only at evaluation time, at most one step (pure)."""
    ranks = {s.code: s.rank for s in ladder}
    by_rank = sorted(ladder, key=lambda s: s.rank)
    now_rank = ranks.get(current, -1)
    new_rank = decided.rank if decided else -1
    if new_rank > now_rank:
        return decided.code
    if new_rank < now_rank and may_downgrade:
        below = [s for s in by_rank if s.rank < now_rank]
        return below[-1].code if below and below[-1].rank >= new_rank else (decided.code if decided else None)
    return current


def window_start(now: dt.datetime, months: int, timezone: str = "UTC") -> dt.datetime:
    """The start of the rolling window: the same local day `months` earlier (29 Feb → 28 Feb)."""
    day = now.astimezone(expiry.ZoneInfo(timezone)).date()
    return expiry.local_midnight(expiry.add_months(day, -months), timezone)


def ladder(session: Session) -> list[Step]:
    return [Step(t.code, t.rank, t.min_spend_minor, t.min_orders)
            for t in session.scalars(select(Tier).order_by(Tier.rank))]


_TIER = select(TierStatus.tier_code).where(TierStatus.customer_id == bindparam("cid"))  # built once: read on every balance look-up


def tier_of(session: Session, customer_id: int) -> str | None:
    return session.scalar(_TIER, {"cid": customer_id})


def _set(session: Session, customer_id: int, code: str | None, now: dt.datetime, *, why: str) -> None:
    row = session.get(TierStatus, customer_id)
    old = row.tier_code if row else None
    if row is None:
        row = TierStatus(customer_id=customer_id, tier_code=None, since=now)
        session.add(row)
    row.evaluated_at = now
    if old != code:
        row.tier_code, row.since = code, now
        audit.record(session, "tier_changed", SYSTEM, subject_type="customer", subject_id=customer_id,
                     old=old, new=code, why=why)
    session.flush()


def upgrade_if_qualified(session: Session, customer_id: int, *, now: dt.datetime) -> None:
    steps = ladder(session)
    if not steps:
        return
    months = store.program_settings(session).tier_window_months
    spend, orders = loyalty_feed.qualifying_spend(session, [customer_id], window_start(now, months), now + dt.timedelta(
        seconds=1)).get(customer_id, (0, 0))
    current = tier_of(session, customer_id)
    target = next_tier(current, qualifies(spend, orders, steps), steps, may_downgrade=False)
    if target != current:
        _set(session, customer_id, target, now, why="qualified")


def evaluate_all(factory, *, now: dt.datetime | None = None) -> dict:
    """The evaluation date: every member's tier from the rolling window; downgrades happen here only."""
    now = now or utcnow()
    changed = 0
    with factory() as session:
        steps = ladder(session)
        if not steps:
            return {"members": 0, "changed": 0}
        months = store.program_settings(session).tier_window_months
        members = sorted(set(session.scalars(select(PointBalance.customer_id))) |
                         set(session.scalars(select(TierStatus.customer_id))))
        for start in range(0, len(members), 1000):
            chunk = members[start:start + 1000]
            spend = loyalty_feed.qualifying_spend(session, chunk, window_start(now, months), now)
            for cid in chunk:
                status = session.get(TierStatus, cid)
                if status and status.manual_until and status.manual_until > now:
                    continue
                current = status.tier_code if status else None
                target = next_tier(current, qualifies(*spend.get(cid, (0, 0)), steps), steps, may_downgrade=True)
                if target != current:
                    _set(session, cid, target, now, why="evaluation")
                    changed += 1
        session.commit()
    return {"members": len(members), "changed": changed}


def assign(session: Session, customer_id: int, code: str, until: dt.datetime, actor) -> None:
    """A manual tier until an end date (staff decision, audited)."""
    _set(session, customer_id, code, utcnow(), why=f"manual by {actor.ref}")
    session.get(TierStatus, customer_id).manual_until = until


def upgrades_between(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple[int, str, dt.datetime]]:
    """(customer id, new tier, when) of every move to a higher tier in [since, until), from the audit trail
    `_set` writes (the tier status row keeps only the latest tier, not the step up)."""
    ranks = {s.code: s.rank for s in ladder(session)}
    out = []
    for entry in audit.query(session, kind="tier_changed", subject_type="customer", since=since, until=until,
                             limit=1_000_000):
        old, new = (entry.details or {}).get("old"), (entry.details or {}).get("new")
        if new in ranks and ranks[new] > ranks.get(old, -1):
            out.append((int(entry.subject_id), new, entry.at))
    return sorted(out, key=lambda r: (r[2], r[0]))
