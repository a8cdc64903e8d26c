"""Tables of the care domain: templates, campaigns, who each campaign reached, and the outbox.

Rendered messages are personal data (a name, an address in the text): subject and body are
stored encrypted (privacy.crypto), and the recipient's address is looked up at send time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, JsonType, UTCDateTime, utcnow


class CareTemplate(Base):
    """One message text per (name, channel, locale); saving a new text bumps the version."""

    __tablename__ = "care_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))   # email | sms | wechat | webhook
    locale: Mapped[str] = mapped_column(String(10))    # zh-CN | en
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("name", "channel", "locale"),)


class Campaign(Base):
    __tablename__ = "care_campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft")     # draft | active | paused | ended
    purpose: Mapped[str] = mapped_column(String(20), default="marketing")  # marketing | service
    trigger: Mapped[str | None] = mapped_column(String(30))   # birthday | holiday | ... ; None: a list or filter
    params: Mapped[dict] = mapped_column(JsonType, default=dict)       # the trigger's days, occasion, ...
    audience: Mapped[dict] = mapped_column(JsonType, default=dict)     # {"customer_ids": [...]} | {"filter": {...}}
    channels: Mapped[list] = mapped_column(JsonType, default=list)     # in order of preference
    variants: Mapped[list] = mapped_column(JsonType, default=list)     # [{"name": "A", "template": "...", "weight": 1}]
    control_percent: Mapped[int] = mapped_column(Integer, default=0)
    offer: Mapped[dict | None] = mapped_column(JsonType)
    caps: Mapped[str] = mapped_column(String(200), default="")         # the campaign's own limits, "1/week"
    priority: Mapped[int] = mapped_column(Integer, default=0)
    conversion_days: Mapped[int] = mapped_column(Integer, default=7)
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The second staff member's approval (GUANXI_CARE_REQUIRE_APPROVAL); an edit clears it (care.approval).
    approved_by: Mapped[str | None] = mapped_column(String(200))
    edited_by: Mapped[str | None] = mapped_column(String(200))         # the last editor may not approve either
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Recipient(Base):
    """A customer a campaign chose for one period, with the variant or the hold-out group they fell in."""

    __tablename__ = "care_recipients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("care_campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    period: Mapped[str] = mapped_column(String(60))
    variant: Mapped[str] = mapped_column(String(30))
    control: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("campaign_id", "customer_id", "period"),
                      Index("ix_care_recipients_customer", "customer_id"))


class OutboxMessage(Base):
    __tablename__ = "care_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("care_campaigns.id", ondelete="SET NULL"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))          # marketing | service
    template_id: Mapped[int | None] = mapped_column(ForeignKey("care_templates.id", ondelete="SET NULL"))
    template_version: Mapped[int | None] = mapped_column(Integer)
    variant: Mapped[str | None] = mapped_column(String(30))
    locale: Mapped[str] = mapped_column(String(10))
    subject_enc: Mapped[str | None] = mapped_column(Text)
    body_enc: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    reason: Mapped[str | None] = mapped_column(String(40))     # why suppressed or failed
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)    # first open (pixel), tracking.py
    clicked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)   # first tracked-link click
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_care_outbox_due", "status", "next_attempt_at"),
        Index("ix_care_outbox_customer_sent", "customer_id", "sent_at"),
        Index("ix_care_outbox_provider", "channel", "provider_id"),
        Index("ix_care_outbox_campaign", "campaign_id", "status"),
    )


class RateCounter(Base):
    """Messages sent on a channel in one window (a second or a UTC day), shared by every worker (care.rate_limits)."""

    __tablename__ = "care_rate_counters"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    window: Mapped[str] = mapped_column(String(30), primary_key=True)   # "s:<epoch second>" | "d:<YYYY-MM-DD>"
    used: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)       # old windows are swept after this


class MessageEvent(Base):
    """One open (pixel), click (tracked link) or unsubscribe attributed to a message; tracking.py."""

    __tablename__ = "care_message_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("care_outbox.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("care_campaigns.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12))          # open | click | unsubscribe
    link: Mapped[int | None] = mapped_column(Integer)      # which link of the message (0-based), for clicks
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_care_message_events_campaign", "campaign_id", "kind"),
                      Index("ix_care_message_events_message", "message_id", "kind"))


class Journey(Base):
    """An entry (trigger or audience, as campaigns have) and ordered steps; journeys.py."""

    __tablename__ = "care_journeys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft")      # draft | active | paused
    purpose: Mapped[str] = mapped_column(String(20), default="marketing")
    trigger: Mapped[str | None] = mapped_column(String(30))
    params: Mapped[dict] = mapped_column(JsonType, default=dict)
    audience: Mapped[dict] = mapped_column(JsonType, default=dict)
    steps: Mapped[list] = mapped_column(JsonType, default=list)
    goal_days: Mapped[int | None] = mapped_column(Integer)              # an order within N days ends it
    last_entry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # entrants are looked for hourly
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class JourneyMember(Base):
    """A customer's place in a journey; `version` guards each move so two workers move a customer once."""

    __tablename__ = "care_journey_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("care_journeys.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    period: Mapped[str] = mapped_column(String(60))
    step: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | waiting | done | converted
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_message_id: Mapped[int | None] = mapped_column(ForeignKey("care_outbox.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=0)
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("journey_id", "customer_id", "period"),
                      Index("ix_care_journey_members_due", "status", "next_run_at"),
                      Index("ix_care_journey_members_customer", "customer_id"))
