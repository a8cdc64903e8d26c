"""Tables of the customers domain: profiles, identities, consents, orders and what feeds them.

Personal data is stored encrypted (`*_enc`, see privacy.crypto) and found through keyed
blind indexes (`*_hash`); nothing here holds it in plaintext.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, JsonType, UTCDateTime, utcnow



class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | merged | erased
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    name_enc: Mapped[str | None] = mapped_column(Text)
    name_prefix_hash: Mapped[str | None] = mapped_column(String(64))  # first 2 chars of the match key
    name_initial_hash: Mapped[str | None] = mapped_column(String(64))  # first char, for 1-char searches
    gender: Mapped[str | None] = mapped_column(String(10))
    birthday_enc: Mapped[str | None] = mapped_column(Text)       # "1990-02-28" or "--02-29"
    birthday_md_hash: Mapped[str | None] = mapped_column(String(64))  # blind index of "MM-DD"
    address_enc: Mapped[str | None] = mapped_column(Text)
    address_hash: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    acquisition_channel: Mapped[str | None] = mapped_column(String(40))
    acquired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    tags: Mapped[list] = mapped_column(JsonType, default=list)
    attributes: Mapped[dict] = mapped_column(JsonType, default=dict)
    preferences: Mapped[dict] = mapped_column(JsonType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_customers_name_prefix_hash", "name_prefix_hash"),
        Index("ix_customers_name_initial_hash", "name_initial_hash"),
        Index("ix_customers_birthday_md_hash", "birthday_md_hash"),
        Index("ix_customers_status", "status"),
    )


class Identity(Base):
    """One way to recognise a person: an e-mail, a phone, a platform id, a shop's external id."""

    __tablename__ = "customer_identities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40), default="")
    value_enc: Mapped[str] = mapped_column(Text)
    value_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """Consent history: each change is a new row; the latest per (channel, purpose) is in force."""

    __tablename__ = "customer_consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(20))   # email | sms | wechat | push | any
    purpose: Mapped[str] = mapped_column(String(30))   # marketing | service | analytics | personalisation | sharing
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str | None] = mapped_column(String(60))
    notice_version: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (Index("ix_customer_consents_customer", "customer_id", "channel", "purpose", "at"),)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str | None] = mapped_column(String(200))
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    supplier: Mapped[str | None] = mapped_column(String(200))
    returnable: Mapped[bool] = mapped_column(Boolean, default=True)
    warranty_months: Mapped[int] = mapped_column(Integer, default=0)
    stock: Mapped[int | None] = mapped_column(BigInteger)   # units on hand as the shop last said; None: not tracked


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # paid | cancelled | refunded | partially_refunded | pending
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    channel: Mapped[str | None] = mapped_column(String(40))
    store: Mapped[str | None] = mapped_column(String(100))
    live_session: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[list] = mapped_column(JsonType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("order_id", "external_id"),)


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    lines: Mapped[list] = mapped_column(JsonType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="in_transit")  # in_transit | delivered | returned | lost
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_movement_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stuck_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("order_id", "external_id"),)


class CustomerEvent(Base):
    __tablename__ = "customer_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(40), default="api")
    external_id: Mapped[str | None] = mapped_column(String(100))
    properties: Mapped[dict] = mapped_column(JsonType, default=dict)

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_customer_events_customer_at", "customer_id", "occurred_at"),
    )


class WebhookDelivery(Base):
    """Webhook ids already processed: a redelivery is acknowledged and ignored."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[dict] = mapped_column(JsonType, default=dict)

    __table_args__ = (UniqueConstraint("provider", "delivery_id"),)


class Merge(Base):
    """A merge of one profile into another, with what moved, so that unmerge restores it exactly."""

    __tablename__ = "customer_merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    moved: Mapped[dict] = mapped_column(JsonType, default=dict)      # table -> [row ids]
    before: Mapped[dict] = mapped_column(JsonType, default=dict)     # survivor's profile fields before
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DuplicateCandidate(Base):
    __tablename__ = "duplicate_candidates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    b_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JsonType, default=list)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | merged | dismissed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("a_id", "b_id"), Index("ix_duplicate_candidates_status", "status", "score"))
