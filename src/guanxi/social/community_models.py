"""Tables of live-stream sessions, communities (社群: WeChat groups, forums) and their members, and creators (KOL).

Each is keyed by the platform's own id, so a shop can send the same record again safely. Comments, posts
and orders are not copied here: a report reads them where they are stored (mentions, the customers' orders).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, UTCDateTime, utcnow


class LiveSession(Base):
    __tablename__ = "social_live_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    # The room / session id: its comments' parent_id, and what orders name in their live_session.
    external_id: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))              # the presenter (a shop account or a creator's handle)
    title: Mapped[str] = mapped_column(String(300), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)   # None while the stream is on
    viewers: Mapped[int] = mapped_column(Integer, default=0)   # as the platform counts them (unique viewers)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_social_live_sessions_platform_external"),
        Index("ix_social_live_sessions_started", "started_at"),
    )


class Community(Base):
    __tablename__ = "social_communities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))       # the group / forum id: its messages' parent_id
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))                # group | forum
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_social_communities_platform_external"),)


class CommunityMember(Base):
    """One row per person and group: leaving keeps the row (left_at), joining again clears it."""

    __tablename__ = "social_community_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("social_communities.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("community_id", "customer_id", name="uq_social_community_members_person"),)


class Creator(Base):
    __tablename__ = "social_creators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))       # the account id: their mentions' author_ref
    handle: Mapped[str] = mapped_column(String(200))             # public handle, shown unmasked (a public account)
    followers: Mapped[int] = mapped_column(BigInteger, default=0)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    referral_code: Mapped[str | None] = mapped_column(String(20))   # a loyalty referral code (their customer's own)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_social_creators_platform_external"),)
