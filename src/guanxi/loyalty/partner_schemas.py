"""Request and reply models of the coalition partners' API (staff side and partner side)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

from guanxi.schemas import PublicModel, StrictModel, Timestamp

PartnerCode = Annotated[str, Field(min_length=1, max_length=24, pattern=r"^[A-Za-z0-9_-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. CNY")]
Positive = Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]


class PartnerUpdate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    rate_units: Positive | None = Field(default=None, description="this many partner units (minor units or points)")
    rate_points: Positive | None = Field(default=None, description="... earn this many of our points, rounded down")
    value_minor: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)] | None = Field(
        default=None, description="settlement: this many minor units ...")
    value_points: Positive | None = Field(default=None, description="... per this many points")
    currency: Currency | None = None
    status: Literal["active", "suspended"] | None = None

    @model_validator(mode="after")
    def _no_nulls(self):
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep the current value")
        return self


class PartnerCreate(StrictModel):
    code: PartnerCode
    name: Annotated[str, Field(min_length=1, max_length=200)]
    unit: Literal["currency", "points"] = Field(description="what the partner posts: purchase amounts or its points")
    unit_currency: Currency | None = None
    rate_units: Positive
    rate_points: Positive
    value_minor: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)]
    value_points: Positive = 1
    currency: Currency


class PartnerPublic(PublicModel):
    id: int
    code: str
    name: str
    unit: str
    unit_currency: str | None
    rate_units: int
    rate_points: int
    value_minor: int
    value_points: int
    currency: str
    status: str
    token_issued_at: dt.datetime | None
    token_last_used_at: dt.datetime | None
    created_at: dt.datetime


class PartnerTokenPublic(PublicModel):
    partner: PartnerPublic
    token: str = Field(description="shown once; give it to the partner, it is not stored")


class MemberRef(StrictModel):
    """What the member shared at the partner: exactly one of these."""

    code: Annotated[str, Field(min_length=4, max_length=20)] | None = None
    phone: Annotated[str, Field(min_length=5, max_length=30)] | None = None
    email: Annotated[str, Field(min_length=3, max_length=200)] | None = None

    @model_validator(mode="after")
    def _one(self):
        if sum(v is not None for v in (self.code, self.phone, self.email)) != 1:
            raise ValueError("give exactly one of code, phone, email")
        return self


class MemberLookup(StrictModel):
    member: MemberRef


class PartnerMemberPublic(PublicModel):
    member_ref: str = Field(description="this partner's own reference for the member (other partners see another)")
    sharing: bool = Field(description="whether the member consented to sharing; without it the rest is null")
    name: str | None = Field(description="masked, e.g. 李*")
    tier: str | None
    available_points: int | None


class PartnerEarnCreate(StrictModel):
    external_id: Annotated[str, Field(min_length=1, max_length=100)]
    member: MemberRef
    amount_minor: Positive | None = Field(default=None, description="a purchase, for partners posting currency")
    currency: Currency | None = None
    partner_points: Positive | None = Field(default=None, description="for partners posting their own points")
    occurred_at: Timestamp | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.amount_minor is None) == (self.partner_points is None):
            raise ValueError("give either amount_minor (with currency) or partner_points")
        return self


class PartnerEarnPublic(PublicModel):
    external_id: str
    points: int
    earned_at: dt.datetime
    expires_at: dt.datetime | None
    member: PartnerMemberPublic


class VoucherUseCreate(StrictModel):
    ref: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="your receipt number: the same ref again answers with the first use")


class VoucherPublic(PublicModel):
    code: str
    status: str = Field(description="valid | used | reserved | cancelled")
    reward: str
    reward_id: int
    points: int
    issued_at: dt.datetime
    used_at: dt.datetime | None
    ref: str | None


class StatementLine(PublicModel):
    points: int
    count: int
    value_minor: int


class StatementPublic(PublicModel):
    partner: str
    name: str
    month: str
    timezone: str
    from_: dt.datetime = Field(alias="from", serialization_alias="from")
    to: dt.datetime
    currency: str
    value_per_point: dict[str, int]
    issued: StatementLine
    redeemed: StatementLine
    net_minor: int = Field(description="issued value less redeemed value: > 0 the partner pays, < 0 it is paid")


class MemberCodePublic(PublicModel):
    customer_id: int
    code: str
