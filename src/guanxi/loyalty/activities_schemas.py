"""Request and reply models of member events and product trials."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, HttpUrl, StrictBool, StrictInt

from guanxi.schemas import PublicModel, StrictModel, Timestamp

Title = Annotated[str, Field(min_length=1, max_length=200)]
TierCodes = Annotated[list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]],
                      Field(max_length=20)]
SegmentId = Annotated[StrictInt, Field(ge=1, le=2**62)]


class Audience(StrictModel):
    """Everyone when empty; a saved segment, tiers, or the segment's members in those tiers."""

    segment_id: SegmentId | None = None
    tiers: TierCodes | None = None


class EventCreate(StrictModel):
    kind: Literal["member_day", "product_trial", "meetup", "live_qa"]
    title: Title
    description: Annotated[str, Field(max_length=5000)] = ""
    starts_at: Timestamp
    ends_at: Timestamp
    place: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    link: HttpUrl | None = None
    capacity: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    waitlist: StrictBool = False
    audience: Audience = Audience()
    points: Annotated[StrictInt, Field(ge=0, le=1_000_000)] = Field(0, description="credited once on check-in")


class EventUpdate(StrictModel):
    title: Title | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    place: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    capacity: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    waitlist: StrictBool | None = None
    status: Literal["open", "cancelled"] | None = None


class EventPublic(PublicModel):
    id: int
    kind: str
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str | None
    link: str | None
    capacity: int
    waitlist: bool
    audience: dict
    points: int
    status: str
    counts: dict[str, int] = {}


class RsvpPublic(PublicModel):
    id: int
    event_id: int
    customer_id: int
    answer: str
    answered_at: dt.datetime
    checked_in_at: dt.datetime | None


class RsvpCreate(StrictModel):
    """An answer recorded by staff for a member (the member answers on the member page)."""

    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)]
    answer: Literal["yes", "no"]


class CheckInCreate(StrictModel):
    token: Annotated[str, Field(min_length=3, max_length=100, description="the ticket the member's QR code carries")]


class CheckInPublic(PublicModel):
    rsvp: RsvpPublic
    points: int


class TrialCreate(StrictModel):
    title: Title
    sku: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    apply_from: Timestamp
    apply_until: Timestamp
    audience: Audience = Audience()


class TrialPublic(PublicModel):
    id: int
    title: str
    sku: str
    quantity: int
    audience: dict
    apply_from: dt.datetime
    apply_until: dt.datetime


class ApplicationCreate(StrictModel):
    customer_id: Annotated[StrictInt, Field(ge=1, le=2**62)]


class ApplicationPublic(PublicModel):
    id: int
    trial_id: int
    customer_id: int
    status: str
    applied_at: dt.datetime
    picked_at: dt.datetime | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None


class PickCreate(StrictModel):
    """Either customer_ids, or count applicants (first come) narrowed by segment_id and tiers."""

    count: Annotated[StrictInt, Field(ge=1, le=1_000_000)] | None = None
    customer_ids: Annotated[list[Annotated[StrictInt, Field(ge=1, le=2**62)]], Field(min_length=1, max_length=10_000)] | None = None
    segment_id: SegmentId | None = None
    tiers: TierCodes | None = None
