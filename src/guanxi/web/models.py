"""Tables of the web domain: member sign-in codes and sessions, staff notes, members' privacy requests.

Codes and session tokens are stored as keyed hashes only; a database dump cannot sign anyone in.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, UTCDateTime, utcnow


class MemberCode(Base):
    """A one-time sign-in code sent to a member; also the record that rate limits count."""

    __tablename__ = "member_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    identity_hash: Mapped[str] = mapped_column(String(64))   # blind index of the normalised e-mail
    client_hash: Mapped[str] = mapped_column(String(64))     # keyed hash of the requesting network address
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    code_hash: Mapped[str | None] = mapped_column(String(64))  # None: nobody to send to (unknown address)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_member_codes_identity_created", "identity_hash", "created_at"),
        Index("ix_member_codes_client_created", "client_hash", "created_at"),
    )


class MemberSession(Base):
    __tablename__ = "member_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CustomerNote(Base):
    """A note staff keep on a customer's 360 page."""

    __tablename__ = "customer_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivacyRequest(Base):
    """A member's request about their data (erasure), waiting for the privacy officer."""

    __tablename__ = "member_privacy_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))          # erasure
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done | rejected
    source: Mapped[str] = mapped_column(String(40), default="member_page")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
