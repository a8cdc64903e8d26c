"""The coalition's tables: partner merchants, the codes members share with them, and vouchers used there."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, UTCDateTime, utcnow


class Partner(Base):
    """A partner merchant (联合商户): how its units become our points, and what a point is worth between us."""

    __tablename__ = "loyalty_partners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)   # lots earned there: source "partner:<code>"
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(10))                 # currency | points: what the partner posts
    unit_currency: Mapped[str | None] = mapped_column(String(3))  # when unit is currency: minor units of it
    rate_units: Mapped[int] = mapped_column(BigInteger)           # this many partner units ...
    rate_points: Mapped[int] = mapped_column(BigInteger)          # ... earn this many of our points (rounded down)
    value_minor: Mapped[int] = mapped_column(BigInteger)          # settlement: this many minor units ...
    value_points: Mapped[int] = mapped_column(BigInteger)         # ... per this many points
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | suspended
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # None: no valid token
    token_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    token_last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberCode(Base):
    """The code a member shows at a partner's till instead of a phone number or e-mail address."""

    __tablename__ = "loyalty_member_codes"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VoucherUse(Base):
    """A partner voucher (a redemption of a partner's voucher reward) consumed at the partner, once."""

    __tablename__ = "loyalty_partner_voucher_uses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("loyalty_redemptions.id"), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("loyalty_partners.id"), index=True)
    points: Mapped[int] = mapped_column(BigInteger)
    ref: Mapped[str | None] = mapped_column(String(100))  # the partner's own reference (its till receipt)
    used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
