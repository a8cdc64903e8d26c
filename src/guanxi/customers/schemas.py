"""Request and reply models of the customers API (strict: unknown fields and lax types refused)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StrictInt, model_validator

from guanxi.customers import normalise
from guanxi.customers.consents import CHANNELS, PURPOSES
from guanxi.customers.events import EVENT_KINDS
from guanxi.customers.ingest import ORDER_STATUSES
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.errors import Invalid
from guanxi.money import MAX_MINOR, is_currency
from guanxi.schemas import PublicModel, StrictModel, Timestamp


def _wrap(func):
    def check(value):
        if value is None:
            return None
        try:
            return func(value)
        except Invalid as exc:
            raise ValueError(exc.detail) from None
    return check


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return value


def _currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. CNY, USD)")
    return value


Email = Annotated[str, Field(max_length=254), AfterValidator(_wrap(normalise.email))]
Phone = Annotated[str, Field(max_length=40), AfterValidator(_wrap(normalise.phone))]
Birthday = Annotated[str, Field(max_length=10), AfterValidator(_wrap(normalise.birthday))]
Timezone = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
Currency = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(_currency)]
Text = Annotated[str, Field(max_length=200)]
Id = Annotated[str, Field(min_length=1, max_length=100)]
Minor = Annotated[StrictInt, Field(ge=0, le=MAX_MINOR)]


class IdentityFields(StrictModel):
    email: Email | None = None
    phone: Phone | None = None
    external_id: Id | None = None
    wechat_openid: Id | None = None
    wechat_unionid: Id | None = None
    douyin_id: Id | None = None
    weibo_id: Id | None = None
    shopify_id: Id | None = None

    def identity_keys(self, source: str) -> list[IdentityKey]:
        keys = []
        for kind in ("external_id", "shopify_id", "wechat_unionid", "wechat_openid", "douyin_id", "weibo_id",
                     "email", "phone"):
            value = getattr(self, kind)
            if value is None:
                continue
            kind_name = "external" if kind == "external_id" else kind
            src = source if kind_name in normalise.SOURCED_KINDS else ""
            keys.append(IdentityKey(kind_name, src, normalise.identity(kind_name, value)))
        return keys


class ProfileFields(StrictModel):
    name: Text | None = None
    gender: Literal["female", "male", "other", "unknown"] | None = None
    birthday: Birthday | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    region: Annotated[str, Field(max_length=100)] | None = None
    city: Annotated[str, Field(max_length=100)] | None = None
    locale: Literal["zh-CN", "en"] | None = None
    timezone: Timezone | None = None
    acquisition_channel: Annotated[str, Field(max_length=40)] | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(default=None, max_length=100)
    attributes: dict[str, Any] | None = None
    preferences: dict[str, Any] | None = None


class CustomerRef(IdentityFields):
    """The customer an order or event belongs to, named by any identity."""

    name: Text | None = None

    @model_validator(mode="after")
    def _one_identity(self):
        if not any(getattr(self, f) for f in IdentityFields.model_fields):
            raise ValueError("name the customer by at least one identity: email, phone, external_id, ...")
        return self

    def person(self, source: str) -> PersonIn:
        return PersonIn(identities=self.identity_keys(source), name=self.name)


class CustomerCreate(IdentityFields, ProfileFields):
    source: Annotated[str, Field(min_length=1, max_length=40)] = "api"

    @model_validator(mode="after")
    def _one_identity(self):
        if not any(getattr(self, f) for f in IdentityFields.model_fields):
            raise ValueError("name the customer by at least one identity: email, phone, external_id with source, ...")
        return self

    def person(self) -> PersonIn:
        fields = self.model_dump(include=set(ProfileFields.model_fields), exclude_none=True)
        return PersonIn(identities=self.identity_keys(self.source), **fields)


class CustomerUpdate(ProfileFields):
    pass


class CustomerCreated(PublicModel):
    id: int
    created: bool


class LineCreate(StrictModel):
    sku: Id
    name: Annotated[str, Field(max_length=300)] = ""
    category: Annotated[str, Field(max_length=200)] | None = None
    quantity: Annotated[StrictInt, Field(gt=0, le=1_000_000)]
    unit_price_minor: Minor


class OrderCreate(StrictModel):
    source: Annotated[str, Field(min_length=1, max_length=40)]
    external_id: Id
    customer: CustomerRef
    placed_at: Timestamp
    currency: Currency
    status: Literal[ORDER_STATUSES] = "paid"  # type: ignore[valid-type]
    total_minor: Minor
    discount_minor: Minor = 0
    shipping_minor: Minor = 0
    channel: Annotated[str, Field(max_length=40)] | None = None
    store: Annotated[str, Field(max_length=100)] | None = None
    live_session: Annotated[str, Field(max_length=100)] | None = None
    lines: list[LineCreate] = Field(default_factory=list, max_length=500)

    def record(self) -> OrderIn:
        return OrderIn(
            source=self.source, external_id=self.external_id, person=self.customer.person(self.source),
            placed_at=self.placed_at.astimezone(dt.UTC), currency=self.currency, total_minor=self.total_minor,
            status=self.status, discount_minor=self.discount_minor, shipping_minor=self.shipping_minor,
            channel=self.channel, store=self.store, live_session=self.live_session,
            lines=[LineIn(sku=l.sku, quantity=l.quantity, unit_price_minor=l.unit_price_minor, name=l.name,
                          category=l.category) for l in self.lines],
        )


class OrderCreated(PublicModel):
    id: int
    customer_id: int


class OrderBatch(StrictModel):
    orders: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class StockLevel(StrictModel):
    sku: Annotated[str, Field(min_length=1, max_length=100)]
    stock: Annotated[StrictInt, Field(ge=0, le=1_000_000_000, description="units on hand; 0 = out of stock")]


class StockUpdate(StrictModel):
    """Units on hand per product, e.g. synced from the shop's inventory every few minutes."""

    items: Annotated[list[StockLevel], Field(min_length=1, max_length=1000)]

    @model_validator(mode="after")
    def _one_figure_per_sku(self):
        seen = set()
        for i, item in enumerate(self.items):
            if item.sku in seen:
                raise ValueError(f"items[{i}]: SKU {item.sku!r} appears twice; send one figure per SKU")
            seen.add(item.sku)
        return self


class StockUpdated(PublicModel):
    created: int
    updated: int


class BatchItemResult(PublicModel):
    index: int
    status: int
    id: int | None = None
    customer_id: int | None = None
    errors: list[dict[str, Any]] = []


class BatchResults(PublicModel):
    results: list[BatchItemResult]


class RefundLine(StrictModel):
    sku: Id
    quantity: Annotated[StrictInt, Field(gt=0, le=1_000_000)]


class RefundCreate(StrictModel):
    external_id: Id
    amount_minor: Annotated[StrictInt, Field(gt=0, le=MAX_MINOR)] | None = None
    lines: list[RefundLine] | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _amount_or_lines(self):
        if (self.amount_minor is None) == (self.lines is None):
            raise ValueError("give either amount_minor or lines (not both)")
        return self


class RefundCreated(PublicModel):
    id: int
    order_id: int
    amount_minor: int
    order_status: str


class EventCreate(StrictModel):
    kind: Literal[EVENT_KINDS]  # type: ignore[valid-type]
    occurred_at: Timestamp
    customer: CustomerRef | None = None
    customer_id: Annotated[StrictInt, Field(gt=0)] | None = None
    source: Annotated[str, Field(min_length=1, max_length=40)] = "api"
    external_id: Id | None = None
    properties: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _who(self):
        if (self.customer is None) == (self.customer_id is None):
            raise ValueError("give either customer (an identity) or customer_id")
        return self


class EventBatch(StrictModel):
    events: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class ConsentChange(StrictModel):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    purpose: Literal[PURPOSES]  # type: ignore[valid-type]
    granted: bool
    source: Annotated[str, Field(max_length=60)] | None = None
    notice_version: Annotated[str, Field(max_length=20)] | None = None


class CustomerSummary(PublicModel):
    id: int
    name: str | None
    city: str | None
    tags: list[str]
    acquisition_channel: str | None
    created_at: dt.datetime


class CustomersPage(PublicModel):
    items: list[CustomerSummary]
    next_cursor: str | None


class CustomerPublic(PublicModel):
    """The customer 360 (personal data masked unless the role may see it)."""

    model_config = {"extra": "allow"}

    id: int
    status: str
    name: str | None
    masked: bool
    orders_count: int
    orders_total_minor: int
    identities: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
