"""Programme figures: liability, points flow per month, redemption rate and breakage, tiers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.loyalty import wallet
from guanxi.loyalty.models import PointBalance, PointEntry, Redemption, Reward, TierStatus


def liability(session: Session, value_per_point_minor: float = 1.0) -> dict:
    """Points outstanding (available and pending, debts netted) and what they are worth to the shop."""
    available, pending, debt, members = session.execute(select(
        func.coalesce(func.sum(PointBalance.available), 0), func.coalesce(func.sum(PointBalance.pending), 0),
        func.coalesce(func.sum(PointBalance.debt), 0), func.count())).one()
    outstanding = int(available) + int(pending)
    return {"members": int(members), "available": int(available), "pending": int(pending), "debt": int(debt),
            "outstanding": outstanding, "value_minor": round(outstanding * value_per_point_minor)}


BUCKETS = {"lock": "redeemed", "spend": "redeemed", "release": "redeemed", "earn": "earned",
           "expire": "expired", "reverse": "reversed", "adjust": "adjusted"}


def _flow_rows(session: Session, since: dt.datetime | None = None, until: dt.datetime | None = None):
    stmt = select(PointEntry.at, PointEntry.kind, PointEntry.points).where(PointEntry.kind.in_(tuple(BUCKETS)))
    if since is not None:
        stmt = stmt.where(PointEntry.at >= since)
    if until is not None:
        stmt = stmt.where(PointEntry.at < until)
    for at, kind, points in session.execute(stmt.execution_options(yield_per=10_000)):
        bucket = BUCKETS[kind]
        yield at, bucket, -points if bucket in ("redeemed", "expired", "reversed") else points


def _earned(m: dict[str, int]) -> int:
    return m["earned"] + max(m["adjusted"], 0)


def points_between(session: Session, since: dt.datetime, until: dt.datetime) -> dict:
    """Points earned (goodwill credits included, as in monthly_flow) and redeemed in [since, until)."""
    m: dict[str, int] = defaultdict(int)
    for _, bucket, points in _flow_rows(session, since, until):
        m[bucket] += points
    return {"earned": _earned(m), "redeemed": m["redeemed"]}


def outstanding_at(session: Session, at: dt.datetime) -> int:
    """Points outstanding (available and pending, less debt; locked left out) just before `at`: the signed
    ledger entries summed, so any past day has its figure."""
    return int(session.scalar(select(func.coalesce(func.sum(PointEntry.points), 0)).where(PointEntry.at < at)))


def monthly_flow(session: Session) -> list[dict]:
    """Earned, redeemed, expired, reversed and adjusted points per calendar month (UTC)."""
    months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, bucket, points in _flow_rows(session):
        months[at.strftime("%Y-%m")][bucket] += points
    out = []
    for month in sorted(months):
        m = months[month]
        earned = _earned(m)
        out.append({"month": month, "earned": m["earned"], "redeemed": m["redeemed"], "expired": m["expired"],
                    "reversed": m["reversed"], "adjusted": m["adjusted"],
                    "redemption_rate": round(m["redeemed"] / earned, 4) if earned else None,
                    "breakage": round(m["expired"] / earned, 4) if earned else None})
    return out


def top_rewards(session: Session, limit: int = 10) -> list[dict]:
    rows = session.execute(select(Reward.id, Reward.name, func.count(Redemption.id), func.sum(Redemption.points))
                           .join(Redemption, Redemption.reward_id == Reward.id)
                           .where(Redemption.status != "cancelled")
                           .group_by(Reward.id, Reward.name).order_by(func.count(Redemption.id).desc()).limit(limit))
    return [{"reward_id": rid, "name": name, "redemptions": int(n), "points": int(p or 0)} for rid, name, n, p in rows]


def tier_distribution(session: Session) -> dict[str, int]:
    rows = session.execute(select(TierStatus.tier_code, func.count()).group_by(TierStatus.tier_code))
    return {code or "none": int(n) for code, n in rows}


def store_credit(session: Session) -> list[dict]:
    """Store-credit liability: what the wallets hold, per currency (kept apart from points)."""
    return wallet.liability(session)
