"""Loyalty request and reply models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from guanxi.schemas import PublicModel, StrictModel, Timestamp

Key = Annotated[str, Field(min_length=1, max_length=100)]
Points = Annotated[StrictInt, Field(ge=-10_000_000, le=10_000_000)]
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]


class Expiring(PublicModel):
    points: int
    expires_at: dt.datetime


class GiftPublic(PublicModel):
    id: int
    rule: str
    reward_id: int
    reward: str
    period: str
    order_id: int
    status: str            # granted | shipped | reversed | unavailable (out of stock)
    explanation: str
    created_at: dt.datetime


class PointsPublic(PublicModel):
    available: int
    pending: int
    locked: int
    debt: int
    expiring: list[Expiring]
    tier: str | None
    gifts: list[GiftPublic] = []   # spend-threshold gifts (满额赠送), newest first


class EventCreate(StrictModel):
    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)]
    kind: Literal["sign_up", "profile_completed", "birthday", "review", "share", "survey_answered", "check_in",
                  "referral"]
    source: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")]
    external_id: Annotated[str, Field(min_length=1, max_length=150)]
    occurred_at: Timestamp | None = Field(default=None, description="when it happened (default: now)")


class EventPublic(PublicModel):
    id: int
    customer_id: int
    kind: str
    source: str
    external_id: str
    occurred_at: dt.datetime
    local_day: str
    points: int
    entry_id: int | None
    explanations: list[str]


class AdjustmentCreate(StrictModel):
    points: Points
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    idempotency_key: Key


class AdjustmentPublic(PublicModel):
    entry_id: int
    points: int
    available: int


class RedemptionCreate(StrictModel):
    points: Annotated[StrictInt, Field(gt=0, le=10_000_000)] | None = None
    reward_id: Annotated[StrictInt, Field(ge=1, le=2**62)] | None = None
    idempotency_key: Key
    reserve: StrictBool = Field(default=False, description="lock the points for a checkout to confirm or cancel")

    @model_validator(mode="after")
    def _one_of(self):
        if (self.points is None) == (self.reward_id is None):
            raise ValueError("give either points or reward_id")
        return self


class RedemptionPublic(PublicModel):
    id: int
    customer_id: int
    reward_id: int | None
    points: int
    status: str
    code: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None


class EntryPublic(PublicModel):
    id: int
    kind: str
    points: int
    source: str
    ref: str
    at: dt.datetime
    reason: str | None
    details: dict[str, Any]


class RuleWrite(StrictModel):
    definition: dict[str, Any]
    active: StrictBool = True


class RuleCreate(RuleWrite):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


class RulePublic(PublicModel):
    id: int
    name: str
    version: int
    active: bool
    definition: dict[str, Any]
    created_at: dt.datetime
    created_by: str


class RewardCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["coupon", "gift", "cash", "voucher"]
    points_cost: Annotated[StrictInt, Field(gt=0, le=10_000_000)]
    stock: Annotated[StrictInt, Field(ge=0, le=100_000_000)] | None = None
    per_member_limit: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    min_tier: Annotated[str, Field(max_length=40)] | None = None
    active: StrictBool = True
    details: dict[str, Any] = Field(default_factory=dict)


class RewardUpdate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    points_cost: Annotated[StrictInt, Field(gt=0, le=10_000_000)] | None = None
    stock: Annotated[StrictInt, Field(ge=0, le=100_000_000)] | None = None
    per_member_limit: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    min_tier: Annotated[str, Field(max_length=40)] | None = None
    active: StrictBool | None = None
    details: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _required_fields_not_cleared(self):
        # null clears an optional field (stock, limit, tier, details); these three always have a value
        for name in ("name", "points_cost", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep the current value")
        return self


class RewardPublic(PublicModel):
    id: int
    name: str
    kind: str
    points_cost: int
    stock: int | None
    per_member_limit: int | None
    min_tier: str | None
    active: bool
    details: dict[str, Any]


class TierWrite(StrictModel):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    rank: Annotated[StrictInt, Field(ge=0, le=100)]
    min_spend_minor: Annotated[StrictInt, Field(ge=0)] = 0
    min_orders: Annotated[StrictInt, Field(ge=0)] = 0
    benefits: dict[str, Any] = Field(default_factory=dict)


class TierPublic(PublicModel):
    id: int
    code: str
    name: str
    rank: int
    min_spend_minor: int
    min_orders: int
    benefits: dict[str, Any]


class SettingsWrite(StrictModel):
    debt_policy: Literal["debt", "deduct"] | None = None
    expiry_policy: Literal["rolling", "fixed", "never"] | None = None
    expiry_months: Annotated[StrictInt, Field(ge=1, le=120)] | None = None
    return_days: Annotated[StrictInt, Field(ge=0, le=365)] | None = None
    tier_window_months: Annotated[StrictInt, Field(ge=1, le=60)] | None = None
    referral_reward: Literal["points", "coupon", "credit"] | None = None
    referral_coupon_id: Annotated[StrictInt, Field(ge=1, le=2**62)] | None = None
    referrer_credit_minor: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = None
    friend_credit_minor: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = None
    credit_currency: Currency | None = None


class SettingsPublic(PublicModel):
    debt_policy: str
    expiry_policy: str
    expiry_months: int
    return_days: int
    tier_window_months: int
    referral_reward: str = "points"
    referral_coupon_id: int | None = None
    referrer_credit_minor: int = 0
    friend_credit_minor: int = 0
    credit_currency: str = "CNY"

    @field_validator("referral_reward", "referrer_credit_minor", "friend_credit_minor", "credit_currency",
                     mode="before")
    @classmethod
    def _unsaved_defaults(cls, value, info):
        # a programme whose settings were never saved (or saved before these existed) pays in points
        return cls.model_fields[info.field_name].default if value is None else value


class PreviewLine(StrictModel):
    sku: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[StrictInt, Field(gt=0, le=1_000_000)]
    unit_price_minor: Annotated[StrictInt, Field(ge=0)]
    category: Annotated[str, Field(max_length=200)] | None = None


class PreviewCreate(StrictModel):
    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)] | None = None
    total_minor: Annotated[StrictInt, Field(ge=0)]
    shipping_minor: Annotated[StrictInt, Field(ge=0)] = 0
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "CNY"
    channel: Annotated[str, Field(max_length=40)] | None = None
    lines: list[PreviewLine] = Field(default_factory=list, max_length=500)


class PreviewPublic(PublicModel):
    points: int
    explanations: list[str]


class ReferralCreate(StrictModel):
    code: Annotated[str, Field(min_length=4, max_length=20)]
    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)]
    fingerprints: dict[Literal["device", "payment", "network"], Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, description="hashed before storage; compared with the referrer's other referrals")


class ReferralPublic(PublicModel):
    id: int
    referrer_id: int
    friend_id: int
    status: str
    reason: str | None
    created_at: dt.datetime


class ReferralsPublic(PublicModel):
    code: str
    referrals: list[ReferralPublic]


class PlanWrite(StrictModel):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    period_months: Literal[1, 3, 6, 12]
    price_minor: Annotated[StrictInt, Field(ge=0)]
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    trial_days: Annotated[StrictInt, Field(ge=0, le=90)] = 0
    grace_days: Annotated[StrictInt, Field(ge=0, le=60)] = 7
    benefits: dict[str, Any] = Field(default_factory=dict)
    active: StrictBool = True


class PlanPublic(PublicModel):
    id: int
    code: str
    name: str
    period_months: int
    price_minor: int
    currency: str
    trial_days: int
    grace_days: int
    benefits: dict[str, Any]
    active: bool


class MembershipPaymentCreate(StrictModel):
    plan_code: Annotated[str, Field(min_length=1, max_length=40)]
    external_id: Annotated[str, Field(min_length=1, max_length=100)]
    amount_minor: Annotated[StrictInt, Field(ge=0)]
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    paid_at: Timestamp | None = None


class MembershipPublic(PublicModel):
    customer_id: int
    plan_code: str
    status: str
    started_at: dt.datetime
    period_end: dt.datetime
    cancelled_at: dt.datetime | None


# -- store-credit wallet ---------------------------------------------------------------------------

Minor = Annotated[StrictInt, Field(gt=0, le=10**15)]


class WalletCreditCreate(StrictModel):
    amount_minor: Minor
    currency: Currency
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    idempotency_key: Key


class WalletDebitCreate(StrictModel):
    amount_minor: Minor
    currency: Currency
    order_ref: Annotated[str, Field(min_length=1, max_length=200)]
    idempotency_key: Key


class WalletReversalCreate(StrictModel):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class WalletEntryPublic(PublicModel):
    id: int
    kind: str
    amount_minor: int
    currency: str
    source: str
    reverses_id: int | None
    order_ref: str | None
    reason: str | None
    actor: str | None
    at: dt.datetime


class WalletBalance(PublicModel):
    currency: str
    balance_minor: int


class WalletPublic(PublicModel):
    balances: list[WalletBalance]
    entries: list[WalletEntryPublic]


class WalletMovePublic(PublicModel):
    entry: WalletEntryPublic
    balance_minor: int


# -- coupon codes at checkout ----------------------------------------------------------------------

CouponCode = Annotated[str, Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


class CouponCart(StrictModel):
    currency: Currency
    lines: list[PreviewLine] = Field(min_length=1, max_length=500)
    shipping_minor: Annotated[StrictInt, Field(ge=0, le=10**15)] = 0


class CouponValidationCreate(StrictModel):
    code: CouponCode
    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)] | None = None
    cart: CouponCart


class CouponConsumptionCreate(StrictModel):
    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)]
    order_ref: Annotated[str, Field(min_length=1, max_length=200)]
    cart: CouponCart


class CouponValidationPublic(PublicModel):
    code: str
    valid: bool
    problems: list[str]
    customer_id: int
    reward_id: int
    reward_name: str
    coupon: dict[str, Any]
    expires_at: dt.datetime
    discount_minor: int
    free_shipping: bool
    eligible_minor: int
    used_by_order: str | None


class CouponUsePublic(PublicModel):
    code: str
    customer_id: int
    order_ref: str
    discount_minor: int
    currency: str | None
    free_shipping: bool
    at: dt.datetime
