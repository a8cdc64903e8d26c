"""Request and reply models of the social API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from guanxi.schemas import PublicModel, StrictModel, Timestamp

Platform = Field(min_length=1, max_length=20, pattern=r"^[a-z][a-z0-9_]*$")


class AuthorIn(StrictModel):
    id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    followers: int = Field(default=0, ge=0, le=10**10)
    since: Timestamp | None = None          # when the account was created


class MentionCreate(StrictModel):
    platform: str = Platform
    id: str = Field(min_length=1, max_length=200)
    kind: Literal["post", "comment", "review", "live_comment"]
    text: str = Field(min_length=1, max_length=10_000)
    posted_at: Timestamp
    author: AuthorIn = Field(default_factory=AuthorIn)
    product_sku: str | None = Field(default=None, max_length=100)
    order_id: int | None = Field(default=None, ge=1, le=2**62)
    rating: int | None = Field(default=None, ge=1, le=5)
    url: str | None = Field(default=None, max_length=500)
    parent_id: str | None = Field(default=None, max_length=200)
    likes: int = Field(default=0, ge=0, le=10**10)
    showcase: bool = False                  # the author allowed showing it publicly


class MentionsCreate(StrictModel):
    mentions: list[MentionCreate] = Field(min_length=1, max_length=1000)


class MentionsCreated(PublicModel):
    created: int
    duplicates: int
    linked: int
    flagged: int
    tickets: int
    ids: list[int]


class MentionPublic(PublicModel):
    id: int
    platform: str
    external_id: str
    kind: str
    text: str
    lang: str
    sentiment: float
    label: str
    override: str | None
    aspects: dict
    keywords: list
    author_followers: int
    customer_id: int | None
    product_sku: str | None
    order_id: int | None
    rating: int | None
    likes: int
    posted_at: dt.datetime
    status: str
    removed_reason: str | None
    flags: list
    flag_state: str
    showcase: bool
    reply: str | None
    replied_at: dt.datetime | None
    reply_status: str | None = None        # sent | pending (the job retries) | failed | null (kept here only)
    reply_platform_id: str | None = None   # the platform's id for our reply
    reply_sent_at: dt.datetime | None = None
    reply_error: str | None = None


class MentionsPage(PublicModel):
    items: list[MentionPublic]
    count: int


class ScoreCreate(StrictModel):
    text: str = Field(min_length=1, max_length=10_000)


class ScorePublic(PublicModel):
    score: float
    label: str
    lang: str
    override: str | None
    aspects: dict
    baseline_score: float
    baseline_label: str


class ModerationCreate(StrictModel):
    action: Literal["remove", "restore"]
    reason: str | None = Field(default=None, max_length=20)
    note: str = Field(default="", max_length=500)


class ReplyCreate(StrictModel):
    text: str = Field(min_length=1, max_length=2000)


class ShowcaseUpdate(StrictModel):
    allowed: bool


class FlagReview(StrictModel):
    state: Literal["cleared", "confirmed"]


class CrisisPublic(PublicModel):
    id: int
    status: str
    severity: str
    reasons: list
    keywords: dict
    first_hour: dt.datetime
    last_hour: dt.datetime
    ticket_id: int | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    summary: str | None


class CrisisEventPublic(PublicModel):
    at: dt.datetime
    kind: str
    actor: str
    hour: dt.datetime | None
    details: dict


class CrisisDetail(CrisisPublic):
    timeline: list[CrisisEventPublic]
    top_posts: list[MentionPublic]
    templates: list[dict]


class CrisisTransition(StrictModel):
    status: Literal["open", "responding", "closed"]
    note: str = Field(default="", max_length=1000)


class DetectionCreate(StrictModel):
    hour: Timestamp                          # any time inside the hour to check


class ShowcaseItem(PublicModel):
    id: int
    author: str
    text: str
    rating: int | None
    product_sku: str | None
    posted_at: dt.datetime
    reply: str | None


class PollPublic(PublicModel):
    platform: str
    fetched: int
    created: int
    cursor: str | None
