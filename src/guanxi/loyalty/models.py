"""The loyalty domain's tables: lots, append-only entries and their allocations, cached balances,
versioned earning rules, rewards and redemptions, tiers, and the programme's settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, JsonType, UTCDateTime, utcnow


class LoyaltySettings(Base):
    """The programme's settings: one row (id 1), edited by staff with loyalty.configure."""

    __tablename__ = "loyalty_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    debt_policy: Mapped[str] = mapped_column(String(10), default="debt")        # debt | deduct
    expiry_policy: Mapped[str] = mapped_column(String(10), default="rolling")   # rolling | fixed | never
    expiry_months: Mapped[int] = mapped_column(Integer, default=24)
    return_days: Mapped[int] = mapped_column(Integer, default=7)
    tier_window_months: Mapped[int] = mapped_column(Integer, default=12)
    referrer_points: Mapped[int] = mapped_column(Integer, default=500)
    friend_points: Mapped[int] = mapped_column(Integer, default=200)
    referrals_per_month: Mapped[int] = mapped_column(Integer, default=10)  # rewarded per referrer
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointLot(Base):
    __tablename__ = "loyalty_lots"
    __table_args__ = (Index("ix_loyalty_lots_state_expires", "state", "expires_at"), UniqueConstraint("source", "ref"),
                      # the lots with points left, soonest expiry first: what the expiry job reads
                      Index("ix_loyalty_lots_due", "expires_at", "id", sqlite_where=text("remaining > 0"),
                            postgresql_where=text("remaining > 0")))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    expired: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    forfeited: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(10))  # pending | available | spent | expired | reversed
    earned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    details: Mapped[dict] = mapped_column(JsonType, default=dict)


class PointEntry(Base):
    """What happened to a member's points; never updated or deleted (merges move them whole)."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (UniqueConstraint("source", "ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    points: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_lots.id"))
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    debt_change: Mapped[int] = mapped_column(BigInteger, default=0)
    locked_change: Mapped[int] = mapped_column(BigInteger, default=0)
    written_off: Mapped[int] = mapped_column(BigInteger, default=0)
    forfeited: Mapped[int] = mapped_column(BigInteger, default=0)
    actor: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JsonType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointAllocation(Base):
    __tablename__ = "loyalty_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("loyalty_lots.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)


class PointBalance(Base):
    """A cache of the entries' sums; `guanxi loyalty verify` rebuilds and compares it."""

    __tablename__ = "loyalty_balances"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[int] = mapped_column(BigInteger, default=0)
    locked: Mapped[int] = mapped_column(BigInteger, default=0)
    debt: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EarningRule(Base):
    """One version of a named rule; an edit adds a version, the one in force at order time applies."""

    __tablename__ = "loyalty_rules"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[dict] = mapped_column(JsonType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="system")


class Reward(Base):
    __tablename__ = "loyalty_rewards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))   # coupon | gift | cash | voucher
    points_cost: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    min_tier: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    details: Mapped[dict] = mapped_column(JsonType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Redemption(Base):
    __tablename__ = "loyalty_redemptions"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reward_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_rewards.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))  # reserved | confirmed | cancelled
    idempotency_key: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    entry_ref: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Tier(Base):
    __tablename__ = "loyalty_tiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int] = mapped_column(Integer)
    min_spend_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    min_orders: Mapped[int] = mapped_column(Integer, default=0)
    benefits: Mapped[dict] = mapped_column(JsonType, default=dict)


class TierStatus(Base):
    __tablename__ = "loyalty_tier_status"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    tier_code: Mapped[str | None] = mapped_column(String(40))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    manual_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class FeedCursor(Base):
    """How far the loyalty jobs have read the customers domain's order and refund feeds."""

    __tablename__ = "loyalty_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ReferralCode(Base):
    __tablename__ = "loyalty_referral_codes"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """A friend attributed to a referrer; rewarded once the friend's first order is past its return window."""

    __tablename__ = "loyalty_referrals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    friend_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), unique=True)
    code: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # attributed | held | rejected | rewarded
    reason: Mapped[str | None] = mapped_column(String(200))
    fingerprints: Mapped[list] = mapped_column(JsonType, default=list)  # hashes of device / payment / network
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class MembershipPlan(Base):
    """A paid membership plan (付费会员): price per period, trial, benefits."""

    __tablename__ = "loyalty_membership_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    period_months: Mapped[int] = mapped_column(Integer)        # 1 monthly, 12 yearly
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    grace_days: Mapped[int] = mapped_column(Integer, default=7)
    benefits: Mapped[dict] = mapped_column(JsonType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Subscription(Base):
    __tablename__ = "loyalty_subscriptions"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    plan_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))  # trial | active | grace | cancelled | expired
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MembershipPayment(Base):
    """One payment for a membership, idempotent on the payment provider's id (webhooks repeat)."""

    __tablename__ = "loyalty_membership_payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    plan_code: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
