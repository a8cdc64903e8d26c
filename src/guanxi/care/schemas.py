"""Care request and reply models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt

from guanxi.schemas import PublicModel, StrictModel, Timestamp

Channel = Literal["email", "sms", "wechat", "webhook", "push", "inapp"]
Locale = Literal["zh-CN", "en"]


class TemplateWrite(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    channel: Channel
    locale: Locale
    subject: Annotated[str | None, Field(max_length=1000)] = None
    body: Annotated[str, Field(min_length=1, max_length=100_000)]


class TemplatePublic(PublicModel):
    id: int
    name: str
    channel: str
    locale: str
    subject: str | None
    body: str
    version: int
    updated_by: str
    updated_at: dt.datetime


class PreviewCreate(StrictModel):
    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)]


class PreviewPublic(PublicModel):
    template_id: int
    version: int
    customer_id: int
    channel: str
    locale: str
    subject: str | None
    body: str
    banned_words: list[str]


class Variant(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=30)] = "A"
    template: Annotated[str, Field(min_length=1, max_length=100)]
    weight: Annotated[StrictInt, Field(ge=1, le=1000)] = 1


class CampaignWrite(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    purpose: Literal["marketing", "service"] = "marketing"
    trigger: Literal["birthday", "holiday", "order_followup", "first_order", "winback", "stuck_shipment",
                     "tier_upgrade", "points_expiring", "abandoned_cart", "ticket_resolved", "anniversary", "refill",
                     "churn_risk", "winback_ladder", "segment_entered", "segment_left", "member_event",
                     "trial_review"] | None = None
    params: dict[str, Any] = {}
    audience: dict[str, Any] = {}
    channels: Annotated[list[Channel], Field(min_length=1, max_length=4)]
    variants: Annotated[list[Variant], Field(min_length=1, max_length=10)]
    control_percent: Annotated[StrictInt, Field(ge=0, le=50)] = 0
    offer: dict[str, Any] | None = None
    caps: Annotated[str, Field(max_length=200)] = ""
    priority: Annotated[StrictInt, Field(ge=-100, le=100)] = 0
    conversion_days: Annotated[StrictInt, Field(ge=1, le=90)] = 7
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None


class CampaignPublic(PublicModel):
    id: int
    name: str
    status: str
    purpose: str
    trigger: str | None
    params: dict
    audience: dict
    channels: list[str]
    variants: list[dict]
    control_percent: int
    offer: dict | None
    caps: str
    priority: int
    conversion_days: int
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    approved_by: str | None = None
    approved_at: dt.datetime | None = None


class StatusWrite(StrictModel):
    status: Literal["draft", "active", "paused", "ended"]


class RunCreate(StrictModel):
    date: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None


class OutboxPublic(PublicModel):
    id: int
    campaign_id: int | None
    customer_id: int
    channel: str
    purpose: str
    variant: str | None
    locale: str
    status: str
    reason: str | None
    priority: int
    attempts: int
    next_attempt_at: dt.datetime
    provider_id: str | None
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None


class ReceiptCreate(StrictModel):
    provider_id: Annotated[str, Field(min_length=1, max_length=200)]
    status: Literal["delivered", "failed", "bounced", "complained"]
    at: Timestamp | None = None


class InboundSms(StrictModel):
    phone: Annotated[str, Field(min_length=3, max_length=40)]
    text: Annotated[str, Field(max_length=1000)]


# Journeys (journeys.py) ----------------------------------------------------------------------

StepId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class JourneyStep(StrictModel):
    """send: channel + template; wait: days/hours; condition: when (+ value) with yes/no; exit."""

    id: StepId
    type: Literal["send", "wait", "condition", "exit"]
    channel: Channel | None = None
    template: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    days: Annotated[StrictInt | None, Field(ge=0, le=366)] = None
    hours: Annotated[StrictInt | None, Field(ge=0, le=24 * 366)] = None
    when: Literal["opened", "clicked", "ordered", "tag", "city"] | None = None
    value: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    yes: StepId | None = None
    no: StepId | None = None
    next: StepId | None = None


class JourneyWrite(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    purpose: Literal["marketing", "service"] = "marketing"
    trigger: Literal["birthday", "holiday", "order_followup", "first_order", "winback", "stuck_shipment",
                     "segment_entered", "segment_left"] | None = None
    params: dict[str, Any] = {}
    audience: dict[str, Any] = {}
    steps: Annotated[list[JourneyStep], Field(min_length=1, max_length=50)]
    goal_days: Annotated[StrictInt | None, Field(ge=1, le=90)] = None


class JourneyPublic(PublicModel):
    id: int
    name: str
    status: str
    purpose: str
    trigger: str | None
    params: dict
    audience: dict
    steps: list[dict]
    goal_days: int | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
