"""Referral (推荐有奖): a code per member; both sides rewarded once the friend's first order is past
its return window; self-referrals and farming held for review, never rewarded automatically."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.customers import loyalty_feed, profiles, purchases
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.loyalty import coupons, store, wallet
from guanxi.loyalty.models import Referral, ReferralCode, Reward
from guanxi.money import is_currency

ATTRIBUTED, HELD, REJECTED, REWARDED = "attributed", "held", "rejected", "rewarded"
BURST = (5, dt.timedelta(hours=1))   # more attributions than this to one referrer in the window: held
SOURCE = "referral"
POINTS, COUPON, CREDIT = "points", "coupon", "credit"   # what referrals pay with (settings.referral_reward)


@dataclass(frozen=True)
class Signals:
    same_person: bool
    shared_address: bool
    friend_bought_before: bool
    recent_for_referrer: int
    fingerprint_reused: bool


def screen(s: Signals) -> tuple[str, str | None]:
    """The attribution's status and why (pure): rejected, held for review, or attributed."""
    if s.same_person:
        return REJECTED, "self-referral"
    if s.friend_bought_before:
        return REJECTED, "not a new customer"
    if s.shared_address:
        return HELD, "same address as the referrer"
    if s.fingerprint_reused:
        return HELD, "device or payment seen with another referral of this referrer"
    if s.recent_for_referrer >= BURST[0]:
        return HELD, "burst of sign-ups"
    return ATTRIBUTED, None


def code_for(session: Session, customer_id: int) -> str:
    customer_id = profiles.live_customer(session, customer_id).id
    row = session.get(ReferralCode, customer_id)
    if row is None:
        row = ReferralCode(customer_id=customer_id, code=secrets.token_hex(4).upper(), created_at=utcnow())
        session.add(row)
        session.flush()
    return row.code


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def attribute(session: Session, friend_id: int, code: str, *, fingerprints: dict[str, str] | None = None,
              now: dt.datetime | None = None) -> tuple[Referral, bool]:
    """Attribute a new customer to the member whose code they used; a friend is attributed once."""
    now = now or utcnow()
    owner = session.scalar(select(ReferralCode).where(ReferralCode.code == code.strip().upper()))
    if owner is None:
        raise NotFound(f"no referral code {code!r}")
    friend_id = profiles.live_customer(session, friend_id).id
    seen = session.scalar(select(Referral).where(Referral.friend_id == friend_id))
    if seen is not None:
        return seen, False
    hashes = sorted(_hash(k, v) for k, v in (fingerprints or {}).items() if v)
    earlier = session.scalars(select(Referral.fingerprints).where(Referral.referrer_id == owner.customer_id))
    used = {h for prints in earlier for h in (prints or [])}
    recent = session.scalar(select(func.count()).select_from(Referral).where(
        Referral.referrer_id == owner.customer_id, Referral.created_at >= now - BURST[1]))
    status, reason = screen(Signals(
        same_person=loyalty_feed.same_person(session, owner.customer_id, friend_id),
        shared_address=loyalty_feed.shared_address(session, owner.customer_id, friend_id),
        friend_bought_before=(first := loyalty_feed.first_paid_order(session, friend_id)) is not None
        and first[1] < now - dt.timedelta(minutes=10),
        recent_for_referrer=recent, fingerprint_reused=bool(used & set(hashes))))
    row = Referral(referrer_id=owner.customer_id, friend_id=friend_id, code=owner.code, status=status, reason=reason,
                   fingerprints=hashes, created_at=now, decided_at=now if status == REJECTED else None)
    session.add(row)
    session.flush()
    return row, True


def reward_due(factory, *, now: dt.datetime) -> dict:
    """Reward both sides of every attributed referral whose friend's first order is past its return window."""
    rewarded = rejected = 0
    with factory() as session:
        s = store.program_settings(session)
        waiting = list(session.scalars(select(Referral).where(Referral.status == ATTRIBUTED)))
        for ref in waiting:
            if loyalty_feed.same_person(session, ref.referrer_id, ref.friend_id):  # merged since: one person
                ref.status, ref.reason, ref.decided_at = REJECTED, "self-referral (profiles merged)", now
                rejected += 1
                continue
            first = loyalty_feed.first_paid_order(session, ref.friend_id)
            if first is None:
                continue
            order_id, _placed, refunded = first
            if refunded:
                ref.status, ref.reason, ref.decided_at = REJECTED, "first order refunded", now
                rejected += 1
                continue
            if order_id not in loyalty_feed.return_windows_closed(session, [order_id], now, s.return_days):
                continue
            month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            this_month = session.scalar(select(func.count()).select_from(Referral).where(
                Referral.referrer_id == ref.referrer_id, Referral.status == REWARDED,
                Referral.decided_at >= month_start))
            if this_month >= s.referrals_per_month:
                continue  # over the monthly cap: waits for next month
            for customer_id, points, money, side in (
                    (ref.referrer_id, s.referrer_points, s.referrer_credit_minor, "referrer"),
                    (ref.friend_id, s.friend_points, s.friend_credit_minor, "friend")):
                _pay(session, s, customer_id, points, money or 0, f"{ref.id}:{side}", now)
            ref.status, ref.order_id, ref.decided_at = REWARDED, order_id, now
            rewarded += 1
            session.flush()
        session.commit()
    return {"referrals_rewarded": rewarded, "referrals_rejected": rejected}


def _pay(session: Session, s, customer_id: int, points: int, credit_minor: int, ref: str, now: dt.datetime) -> None:
    """One side's reward, in what the programme pays referrals with: points, a coupon, or store credit."""
    mode = s.referral_reward or POINTS
    if mode == CREDIT:
        if credit_minor > 0:
            wallet.credit(session, customer_id, credit_minor, s.credit_currency or "CNY", f"referral:{ref}",
                          source=SOURCE, reason="referral reward", now=now)
    elif mode == COUPON:
        coupons.issue(session, customer_id, s.referral_coupon_id, f"referral:{ref}", now=now)
    else:
        _credit(session, customer_id, points, ref, now)


def check_payout(session: Session, mode: str, coupon_id: int | None, currency: str | None) -> None:
    """Settings that name a referral payout must be usable: a coupon reward for coupons, a currency for credit."""
    if mode == COUPON:
        reward = session.get(Reward, coupon_id) if coupon_id is not None else None
        if reward is None or reward.kind != "coupon":
            raise Invalid("referral rewards in coupons need referral_coupon_id: the id of a coupon reward",
                          errors=[{"loc": ["body", "referral_coupon_id"], "msg": "a coupon reward's id"}])
    if mode == CREDIT and not is_currency(currency or ""):
        raise Invalid("referral rewards in store credit need credit_currency (ISO 4217)",
                      errors=[{"loc": ["body", "credit_currency"], "msg": "e.g. CNY"}])


def _credit(session: Session, customer_id: int, points: int, ref: str, now: dt.datetime) -> None:
    store.credit(session, customer_id, points, SOURCE, ref, "referral", now)


def referrals_of(session: Session, customer_id: int) -> list[Referral]:
    return list(session.scalars(select(Referral).where(Referral.referrer_id == customer_id)
                                .order_by(Referral.id.desc()).limit(100)))


def code_owner(session: Session, code: str) -> int | None:
    """The customer whose referral code this is, or None."""
    return session.scalar(select(ReferralCode.customer_id).where(ReferralCode.code == code.strip().upper()))


@dataclass(frozen=True)
class CodeResults:
    signups: int                 # friends attributed to the code, rejected ones left out
    held: int                    # of those, held for review
    first_orders: int            # friends who have placed a paid order
    revenue: dict[str, int]      # their paid orders less refunds, by currency, in minor units


def code_results(session: Session, code: str) -> CodeResults:
    """What a referral code brought (for a creator's report): sign-ups, first orders and the friends' spend."""
    rows = session.execute(select(Referral.friend_id, Referral.status).where(
        Referral.code == code.strip().upper(), Referral.status != REJECTED)).all()
    sales = purchases.net_sales(session, customer_ids=[friend for friend, _ in rows])
    return CodeResults(signups=len(rows), held=sum(1 for _, status in rows if status == HELD),
                       first_orders=sales.buyers, revenue=sales.revenue)


def referred_among(session: Session, customer_ids: set[int]) -> set[int]:
    """Which of these customers came through a referral (rejected attributions left out), for the KPIs."""
    ids, found = sorted(customer_ids), set()
    for i in range(0, len(ids), 900):  # under SQLite's bound-parameter limit
        found.update(session.scalars(select(Referral.friend_id).where(
            Referral.friend_id.in_(ids[i:i + 900]), Referral.status != REJECTED)))
    return found
