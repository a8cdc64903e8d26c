"""Tables of the analytics domain: derived figures only, rebuilt in bulk by ``recompute``.

Nothing here is a source of truth: every row can be recomputed from orders and events, so a
merge or an erasure needs no hook beyond the next recompute (scores of merged or erased
profiles are dropped by it; the foreign keys cascade should a profile row ever be deleted).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, JsonType, UTCDateTime, utcnow


class CustomerScore(Base):
    """The latest scores of one live customer (prospects included, with the model figures empty)."""

    __tablename__ = "analytics_customer_scores"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    recency_score: Mapped[int | None] = mapped_column(SmallInteger)
    frequency_score: Mapped[int | None] = mapped_column(SmallInteger)
    monetary_score: Mapped[int | None] = mapped_column(SmallInteger)
    segment: Mapped[str | None] = mapped_column(String(30))
    recency_days: Mapped[int | None] = mapped_column(Integer)       # since the latest purchase
    orders: Mapped[int] = mapped_column(Integer, default=0)          # distinct purchase days, all time
    window_orders: Mapped[int] = mapped_column(Integer, default=0)  # purchases in the RFM window
    window_spend_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases: Mapped[float | None] = mapped_column(Float)  # over the CLV horizon
    clv_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    churn_risk: Mapped[float | None] = mapped_column(Float)
    lifecycle_stage: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(10))                 # the day the scores are as of
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_analytics_customer_scores_segment", "segment"),
        Index("ix_analytics_customer_scores_stage", "lifecycle_stage"),
        Index("ix_analytics_customer_scores_clv", "clv_minor"),
    )


class SegmentSnapshot(Base):
    """Each customer's RFM segment in a month (the latest recompute of that month wins)."""

    __tablename__ = "analytics_segment_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    segment: Mapped[str] = mapped_column(String(30))

    __table_args__ = (UniqueConstraint("month", "customer_id"),
                      Index("ix_analytics_segment_snapshots_month_segment", "month", "segment"))


class ScoreRun(Base):
    """One recompute per period: what the models fitted and the thresholds they used."""

    __tablename__ = "analytics_score_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[str] = mapped_column(String(10), unique=True)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[dict] = mapped_column(JsonType, default=dict)


class ItemStat(Base):
    """How many customers bought a product (all time and lately): the popularity baseline."""

    __tablename__ = "analytics_item_stats"

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    category: Mapped[str | None] = mapped_column(String(200))
    buyers: Mapped[int] = mapped_column(Integer)
    recent_buyers: Mapped[int] = mapped_column(Integer)


class ItemPair(Base):
    """"Customers who bought ``sku`` also bought ``other_sku``": co-buyers and a lift-damped score."""

    __tablename__ = "analytics_item_pairs"

    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    other_sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    co_buyers: Mapped[int] = mapped_column(Integer)
    lift: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)


class SavedSegment(Base):
    """A live segment: a rule evaluated in SQL against the latest scores whenever it is read."""

    __tablename__ = "analytics_segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    rule: Mapped[dict] = mapped_column(JsonType)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "dynamic": members follow the rule; "static": a snapshot of a dynamic segment's members, frozen.
    kind: Mapped[str] = mapped_column(String(10), default="dynamic", server_default="dynamic")
    snapshot_of: Mapped[int | None] = mapped_column(BigInteger)  # the dynamic segment a static one froze


class SegmentMember(Base):
    """Who is in a segment now, and since when: kept current by ``analytics.membership``."""

    __tablename__ = "analytics_segment_members"

    segment_id: Mapped[int] = mapped_column(ForeignKey("analytics_segments.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_analytics_segment_members_customer", "customer_id"),)


class SegmentChange(Base):
    """One entry into or exit from a dynamic segment: the events campaigns trigger on."""

    __tablename__ = "analytics_segment_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("analytics_segments.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))    # "entered" | "left"
    cause: Mapped[str] = mapped_column(String(10))   # "live" (an order, event or profile change) | "rebuild"
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_analytics_segment_changes_segment_kind_at", "segment_id", "kind", "at"),
                      Index("ix_analytics_segment_changes_customer_at", "customer_id", "at"))


class CustomerTraits(Base):
    """Derived traits, prospect value and growth potential of one live customer (``traits``, ``prospects``)."""

    __tablename__ = "analytics_customer_traits"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    price_sensitivity: Mapped[float | None] = mapped_column(Float)   # share of purchases with a discount
    discount_share: Mapped[float | None] = mapped_column(Float)      # discount / (paid + discount)
    favourite_categories: Mapped[list] = mapped_column(JsonType, default=list)
    preferred_channel: Mapped[str | None] = mapped_column(String(40))
    preferred_hour: Mapped[int | None] = mapped_column(SmallInteger)
    rebuy_days: Mapped[dict] = mapped_column(JsonType, default=dict)  # sku -> median days between purchases
    p_first_order: Mapped[float | None] = mapped_column(Float)       # prospects only
    expected_first_order_minor: Mapped[int | None] = mapped_column(BigInteger)
    growth_potential_minor: Mapped[int | None] = mapped_column(BigInteger)  # buyers with a CLV only
    growth_band: Mapped[str | None] = mapped_column(String(10))      # low | medium | high
    period: Mapped[str] = mapped_column(String(10))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_analytics_customer_traits_growth_band", "growth_band"),
                      Index("ix_analytics_customer_traits_channel", "preferred_channel"))


class ReportSchedule(Base):
    """A set of KPIs e-mailed weekly or monthly to chosen staff (analytics.scheduled_reports)."""

    __tablename__ = "analytics_report_schedules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    frequency: Mapped[str] = mapped_column(String(10))           # "weekly" | "monthly"
    day: Mapped[int] = mapped_column(Integer)                    # ISO weekday 1-7, or day of the month 1-28
    kpis: Mapped[list] = mapped_column(JsonType, default=list)   # KPI keys, in the order shown
    recipients: Mapped[list] = mapped_column(JsonType, default=list)  # staff user ids
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportSend(Base):
    """One period's report of a schedule, claimed before it is mailed: a rerun of the job sends nothing twice."""

    __tablename__ = "analytics_report_sends"
    __table_args__ = (UniqueConstraint("schedule_id", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("analytics_report_schedules.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))              # the period reported: 2026-W48 or 2026-11
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
