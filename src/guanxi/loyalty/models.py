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
    # How referrals pay (None on an unsaved row means the defaults: points)
    referral_reward: Mapped[str | None] = mapped_column(String(10), default="points")  # points | coupon | credit
    referral_coupon_id: Mapped[int | None] = mapped_column(BigInteger)   # the coupon reward both sides get
    referrer_credit_minor: Mapped[int | None] = mapped_column(BigInteger, default=0)
    friend_credit_minor: Mapped[int | None] = mapped_column(BigInteger, default=0)
    credit_currency: Mapped[str | None] = mapped_column(String(3), default="CNY")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointLot(Base):
    __tablename__ = "loyalty_lots"
    __table_args__ = (UniqueConstraint("source", "ref"),
                      # the pending lots only (release_pending, the pending part of balances): expiring or
                      # spending an available lot leaves this index alone (migration 0004i)
                      Index("ix_loyalty_lots_pending", "customer_id", sqlite_where=text("state = 'pending'"),
                            postgresql_where=text("state = 'pending'")),
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


class LoyaltyEvent(Base):
    """A member event as loyalty saw it (sign-up, review, check-in…), once per (source, external id)."""

    __tablename__ = "loyalty_events"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    local_day: Mapped[str] = mapped_column(String(10))              # YYYY-MM-DD in the member's zone
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)        # the ledger entry, when points were given
    explanations: Mapped[list] = mapped_column(JsonType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventAward(Base):
    """What one event rule gave for one event: counted for the rule's limits and streaks."""

    __tablename__ = "loyalty_event_awards"
    __table_args__ = (Index("ix_loyalty_event_awards_member_rule", "customer_id", "rule", "local_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("loyalty_events.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    rule: Mapped[str] = mapped_column(String(100))
    local_day: Mapped[str] = mapped_column(String(10))
    points: Mapped[int] = mapped_column(BigInteger)


class RuleBudget(Base):
    """Points a budgeted rule has given so far, and the alerts raised (the budget is in the rule)."""

    __tablename__ = "loyalty_rule_budgets"

    rule: Mapped[str] = mapped_column(String(100), primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, default=0)
    alerted: Mapped[int] = mapped_column(Integer, default=0)       # highest threshold alerted: 0, 80 or 100
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class GiftGrant(Base):
    """A spend-threshold gift (满额赠送) given for an order or a calendar month; reversed by refunds
    that bring the spend back under the threshold before it ships."""

    __tablename__ = "loyalty_gift_grants"
    __table_args__ = (UniqueConstraint("rule", "customer_id", "period"), Index("ix_loyalty_gift_grants_status", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    period: Mapped[str] = mapped_column(String(40))                  # "order:<id>" or "month:YYYY-MM"
    reward_id: Mapped[int] = mapped_column(ForeignKey("loyalty_rewards.id"))
    order_id: Mapped[int] = mapped_column(BigInteger)                 # the order that crossed the threshold
    spend_minor: Mapped[int] = mapped_column(BigInteger)              # the spend when granted
    threshold_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))                   # granted | shipped | reversed | unavailable
    explanation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
class Wallet(Base):
    """A member's store credit in one currency: a cache of its entries' sum (`guanxi loyalty verify` checks it)."""

    __tablename__ = "loyalty_wallets"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WalletEntry(Base):
    """Store credit moved: credit (+), debit (-), or the reversal of an earlier entry; never updated or deleted."""

    __tablename__ = "loyalty_wallet_entries"
    __table_args__ = (UniqueConstraint("source", "ref"), Index("ix_loyalty_wallet_entries_member", "customer_id",
                                                                "currency"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(10))        # credit | debit | reversal
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # signed: what it did to the balance
    source: Mapped[str] = mapped_column(String(40))       # goodwill | referral | checkout | reversal | ...
    ref: Mapped[str] = mapped_column(String(200))         # the idempotency key within its source
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("loyalty_wallet_entries.id"), unique=True)
    order_ref: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponUse(Base):
    """A coupon code consumed by one order (a code is used once)."""

    __tablename__ = "loyalty_coupon_uses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("loyalty_redemptions.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_ref: Mapped[str] = mapped_column(String(200))
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str | None] = mapped_column(String(3))
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberEvent(Base):
    """A member event (member day, product trial day, meet-up, live Q&A) for an audience of a segment or tiers."""

    __tablename__ = "loyalty_member_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))        # member_day | product_trial | meetup | live_qa
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[dict] = mapped_column(JsonType, default=dict)  # {} | {"segment_id": n} | {"tiers": [...]}
    points: Mapped[int] = mapped_column(Integer, default=0)         # credited once on attendance
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | cancelled
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="system")


class EventRsvp(Base):
    """A member's answer to an event; a yes carries the signed ticket that checks in once."""

    __tablename__ = "loyalty_event_rsvps"
    __table_args__ = (UniqueConstraint("event_id", "customer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("loyalty_member_events.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    answer: Mapped[str] = mapped_column(String(10))  # yes | no | waitlist
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str | None] = mapped_column(String(200))


class ProductTrial(Base):
    """新品试用: a quantity of a SKU given to members picked from those who applied within the window."""

    __tablename__ = "loyalty_trials"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    audience: Mapped[dict] = mapped_column(JsonType, default=dict)
    apply_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    apply_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="system")


class TrialApplication(Base):
    __tablename__ = "loyalty_trial_applications"
    __table_args__ = (UniqueConstraint("trial_id", "customer_id"), Index("ix_loyalty_trial_applications_delivered",
                                                                         "status", "delivered_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("loyalty_trials.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # applied | picked | shipped | delivered
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    picked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    picked_by: Mapped[str | None] = mapped_column(String(200))
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
