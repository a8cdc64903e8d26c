"""Tables of the social domain: mentions (posts, comments, reviews, live-stream comments), crises and
their timeline, and the connectors' polling cursors."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, JsonType, UTCDateTime, utcnow


class Mention(Base):
    __tablename__ = "social_mentions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))            # weibo | douyin | xiaohongshu | wechat | shop | …
    external_id: Mapped[str] = mapped_column(String(200))        # the platform's id: idempotency key with platform
    kind: Mapped[str] = mapped_column(String(20))                # post | comment | review | live_comment
    parent_id: Mapped[str | None] = mapped_column(String(200))   # the post a comment answers, the live session
    url: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(5))
    sentiment: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(10))
    override: Mapped[str | None] = mapped_column(String(100))    # what forced it negative (退款, 假货 …)
    aspects: Mapped[dict] = mapped_column(JsonType, default=dict)
    keywords: Mapped[list] = mapped_column(JsonType, default=list)
    author_ref: Mapped[str | None] = mapped_column(String(200))  # the platform's user id
    author_name_enc: Mapped[str | None] = mapped_column(Text)   # display name, encrypted (masked when shown)
    author_followers: Mapped[int] = mapped_column(Integer, default=0)
    author_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)   # account creation, for fake-review signals
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    product_sku: Mapped[str | None] = mapped_column(String(100), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    rating: Mapped[int | None] = mapped_column(Integer)          # reviews: 1–5
    likes: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ingested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="visible")   # visible | removed
    removed_reason: Mapped[str | None] = mapped_column(String(20))       # abuse | illegal | privacy | spam
    removed_by: Mapped[str | None] = mapped_column(String(200))
    flags: Mapped[list] = mapped_column(JsonType, default=list)          # fake-review / malicious-complaint signals
    flag_state: Mapped[str] = mapped_column(String(10), default="none")  # none | flagged | cleared | confirmed
    showcase: Mapped[bool] = mapped_column(Boolean, default=False)       # the author allowed public display
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replied_by: Mapped[str | None] = mapped_column(String(200))
    points_entry_id: Mapped[int | None] = mapped_column(Integer)         # the loyalty entry credited for a review
    # The reply sent back to the platform: none (kept here only) | pending | sent | failed.
    reply_status: Mapped[str | None] = mapped_column(String(10))
    reply_key: Mapped[str | None] = mapped_column(String(64))            # idempotency key the platform echoes
    reply_platform_id: Mapped[str | None] = mapped_column(String(200))   # the platform's id of our reply
    reply_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reply_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_social_mentions_platform_external"),
        Index("ix_social_mentions_posted", "posted_at"),
        Index("ix_social_mentions_author", "platform", "author_ref"),
    )


class MentionBand(Base):
    """LSH bands of a review's or complaint's MinHash signature, so a new one is compared only with stored texts
    that share a band (same product), not with every recent review."""

    __tablename__ = "social_mention_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("social_mentions.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class Crisis(Base):
    """A crisis is open from its first signal until staff close it; later signals join it."""

    __tablename__ = "social_crises"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="open")   # open | responding | closed
    severity: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JsonType, default=list)
    keywords: Mapped[dict] = mapped_column(JsonType, default=dict)
    first_hour: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_hour: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)


class CrisisEvent(Base):
    __tablename__ = "social_crisis_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("social_crises.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))   # signal | alert_sent | ticket_opened | status_changed | note
    actor: Mapped[str] = mapped_column(String(200))
    hour: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)   # signals: the hour, one event per hour
    details: Mapped[dict] = mapped_column(JsonType, default=dict)

    __table_args__ = (UniqueConstraint("crisis_id", "kind", "hour", name="uq_social_crisis_events_hour"),)


class ConnectorCursor(Base):
    __tablename__ = "social_connector_cursors"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(500))
    polled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
