"""What staff and members do with points: goodwill adjustments and redemptions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.errors import Conflict, Forbidden, Invalid, NotFound
from guanxi.loyalty import coupons, gifts, store, tiers
from guanxi.loyalty.models import PointEntry, Redemption, Reward
from guanxi.privacy import audit
from guanxi.staff.roles import GOODWILL_LIMITS, Actor

ADJUSTMENT_SOURCE = "adjustment"
REDEMPTION_SOURCE = "redemption"


def summary(session: Session, customer_id: int, *, now: dt.datetime | None = None, days: int = 30) -> dict:
    """The member's points as the API and the pages show them."""
    now = now or utcnow()
    customer_id = profiles.live_customer(session, customer_id).id
    balance = store.balance_of(session, customer_id)
    soon = store.expiring_points(session, customer_id, now, days)
    return {"available": balance["available"], "pending": balance["pending"], "locked": balance["locked"],
            "debt": balance["debt"], "expiring": soon, "tier": tiers.tier_of(session, customer_id),
            "gifts": gifts.gifts_of(session, customer_id)}


@dataclass
class Adjusted:
    entry_id: int
    points: int
    created: bool


def adjust(session: Session, customer_id: int, points: int, reason: str, key: str, actor: Actor, *,
           now: dt.datetime | None = None) -> Adjusted:
    """Staff goodwill (or a correction): within the role's limit, audited, idempotent on `key`."""
    now = now or utcnow()
    if points == 0:
        raise Invalid("an adjustment moves at least one point",
                      errors=[{"loc": ["body", "points"], "msg": "not zero"}])
    if actor.role not in GOODWILL_LIMITS:
        raise Forbidden(f"the {actor.role.value} role may not adjust points")
    limit = GOODWILL_LIMITS[actor.role]
    if limit is not None and abs(points) > limit:
        raise Forbidden(f"the {actor.role.value} role may adjust at most {limit} points at a time")
    customer = profiles.live_customer(session, customer_id)
    customer_id = customer.id
    ref = f"{customer_id}:{key}"
    seen = store.entry_by_key(session, ADJUSTMENT_SOURCE, ref)
    if seen is None:
        account = store.open_account(session, customer_id)
        seen = store.entry_by_key(session, ADJUSTMENT_SOURCE, ref)
    if seen is not None:
        return Adjusted(seen.id, seen.points, False)
    entries = account.book.expire_due(now)
    if points > 0:
        lot = account.new_lot(points=points, earned_at=now, available_at=now,
                              expires_at=store.expires_for(session, now, customer.timezone or "UTC"),
                              source=ADJUSTMENT_SOURCE, ref=ref, rule="goodwill")
        entry = account.book.earn(lot, now=now)
        entry.kind = "adjust"
    else:
        entry = account.book.spend(ADJUSTMENT_SOURCE, ref, -points, now=now, kind="adjust")
    entry.details = {**entry.details, "reason": reason}
    stored = account.write([*entries, entry], actor=actor.ref, reason=reason)[-1]
    audit.record(session, "points_adjusted", actor, subject_type="customer", subject_id=customer_id,
                 points=points, reason=reason, entry_id=stored.id)
    return Adjusted(stored.id, points, True)


@dataclass
class Redeemed:
    redemption: Redemption
    created: bool


def redeem(session: Session, customer_id: int, key: str, *, points: int | None = None, reward_id: int | None = None,
           reserve: bool = False, now: dt.datetime | None = None, hold_minutes: int = 30) -> Redeemed:
    """Spend points (as cash, or on a reward); `reserve` locks them for a checkout to confirm or cancel.

    Raises InsufficientPoints (409) when the available balance does not cover it; a replayed key
    answers with the first redemption and spends nothing.
    """
    now = now or utcnow()
    if (points is None) == (reward_id is None):
        raise Invalid("give either points or reward_id", errors=[{"loc": ["body"], "msg": "points or reward_id"}])
    customer_id = profiles.live_customer(session, customer_id).id
    account = store.open_account(session, customer_id)
    seen = session.scalar(select(Redemption).where(Redemption.customer_id == customer_id,
                                                   Redemption.idempotency_key == key))
    if seen is not None:
        return Redeemed(seen, False)
    reward = None
    if reward_id is not None:
        reward = session.get(Reward, reward_id)
        if reward is None or not reward.active:
            raise NotFound(f"no reward {reward_id} on offer")
        _check_reward(session, reward, customer_id)
        points = reward.points_cost
    if points <= 0:
        raise Invalid("redeem a positive number of points", errors=[{"loc": ["body", "points"], "msg": "> 0"}])
    ref = f"{customer_id}:{key}"
    entries = account.book.expire_due(now)
    entry = account.book.spend(REDEMPTION_SOURCE, ref, points, now=now, lock=reserve,
                               details={"reward_id": reward_id} if reward_id else {})
    if reward is not None and reward.stock is not None:
        taken = session.execute(update(Reward).where(Reward.id == reward.id, Reward.stock > 0)
                                .values(stock=Reward.stock - 1))
        if taken.rowcount != 1:
            raise Conflict(f"reward {reward.id} is out of stock")
    account.write([*entries, entry])
    redemption = Redemption(customer_id=customer_id, reward_id=reward_id, points=points,
                            status="reserved" if reserve else "confirmed", idempotency_key=key,
                            code=coupons.new_code() if reward is not None else None, entry_ref=ref,
                            created_at=now, expires_at=now + dt.timedelta(minutes=hold_minutes) if reserve else None)
    session.add(redemption)
    session.flush()
    return Redeemed(redemption, True)


def _check_reward(session: Session, reward: Reward, customer_id: int) -> None:
    if reward.min_tier:
        ranks = {s.code: s.rank for s in tiers.ladder(session)}
        mine = tiers.tier_of(session, customer_id)
        if ranks.get(mine, -1) < ranks.get(reward.min_tier, 0):
            raise Forbidden(f"reward {reward.id} is for members of tier {reward.min_tier} and above")
    if reward.per_member_limit is not None:
        count = session.scalar(select(func.count()).select_from(Redemption).where(
            Redemption.customer_id == customer_id, Redemption.reward_id == reward.id,
            Redemption.status != "cancelled"))
        if count >= reward.per_member_limit:
            raise Conflict(f"reward {reward.id}: at most {reward.per_member_limit} per member")


def settle(session: Session, customer_id: int, redemption_id: int, *, confirm: bool,
           now: dt.datetime | None = None) -> Redemption:
    """Confirm a reserved redemption, or cancel it and give the points back to their lots."""
    now = now or utcnow()
    account = store.open_account(session, customer_id)
    redemption = session.get(Redemption, redemption_id, populate_existing=True)
    if redemption is None or redemption.customer_id != customer_id:
        raise NotFound(f"no redemption {redemption_id} for customer {customer_id}")
    if redemption.status != "reserved":
        if redemption.status == ("confirmed" if confirm else "cancelled"):
            return redemption
        raise Conflict(f"redemption {redemption_id} is already {redemption.status}")
    book = account.book
    entry = book.confirm(redemption.entry_ref, now=now) if confirm else book.cancel(redemption.entry_ref, now=now)
    account.write([entry, *book.expire_due(now)])
    redemption.status = "confirmed" if confirm else "cancelled"
    if not confirm and redemption.reward_id is not None:
        session.execute(update(Reward).where(Reward.id == redemption.reward_id, Reward.stock.is_not(None))
                        .values(stock=Reward.stock + 1))
    session.flush()
    return redemption


def ledger_of(session: Session, customer_id: int, limit: int = 100) -> list[PointEntry]:
    return list(session.scalars(select(PointEntry).where(PointEntry.customer_id == customer_id)
                                .order_by(PointEntry.at.desc(), PointEntry.id.desc()).limit(limit)))


def available_and_tiers(session: Session, customer_ids: list[int]) -> dict[int, dict]:
    """{id: {"available", "tier"}} for many live customers at once (what summary() gives, without the lots),
    for messages to a large audience; customers with no balance or tier are absent."""
    from guanxi.loyalty.models import PointBalance, TierStatus

    out: dict[int, dict] = {}
    for i in range(0, len(customer_ids), 2000):
        chunk = customer_ids[i:i + 2000]
        for cid, available in session.execute(select(PointBalance.customer_id, PointBalance.available)
                                               .where(PointBalance.customer_id.in_(chunk))):
            out.setdefault(cid, {})["available"] = available
        for cid, tier in session.execute(select(TierStatus.customer_id, TierStatus.tier_code)
                                         .where(TierStatus.customer_id.in_(chunk))):
            out.setdefault(cid, {})["tier"] = tier
    return out
