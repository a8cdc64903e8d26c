"""Request and reply models of live sessions, communities and creators."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from guanxi.schemas import PublicModel, StrictModel, Timestamp
from guanxi.social.schemas import Platform

ExternalId = Field(min_length=1, max_length=200)
MAX_COUNT = 2**31 - 1


class Money(PublicModel):
    currency: str
    amount_minor: int


class LiveSessionCreate(StrictModel):
    platform: str = Platform
    id: str = ExternalId                      # the room / session id the platform gives
    host: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=300)
    started_at: Timestamp
    ended_at: Timestamp | None = None
    viewers: int = Field(default=0, ge=0, le=MAX_COUNT)

    @model_validator(mode="after")
    def _ends_after_start(self):
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class CommentLabels(PublicModel):
    positive: int
    neutral: int
    negative: int


class LiveSessionReport(PublicModel):
    id: int
    platform: str
    external_id: str
    host: str
    title: str
    started_at: Timestamp
    ended_at: Timestamp | None
    viewers: int
    comments: int
    sentiment: float | None
    comment_labels: CommentLabels
    orders: int
    buyers: int
    revenue: list[Money]


class LiveSessionsPage(PublicModel):
    items: list[LiveSessionReport]
    count: int


class CommunityCreate(StrictModel):
    platform: str = Platform
    id: str = ExternalId                      # the group / forum id: its messages' parent_id
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["group", "forum"] = "group"


class Activity(PublicModel):
    days: int
    messages: int
    authors: int
    active_members: int
    last_message_at: Timestamp | None


class CommunityPublic(PublicModel):
    id: int
    platform: str
    external_id: str
    name: str
    kind: str
    members: int
    activity: Activity


class CommunitiesPage(PublicModel):
    items: list[CommunityPublic]
    count: int


class MembersCreate(StrictModel):
    customer_ids: list[int] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _ids(self):
        if any(not 1 <= i <= 2**62 for i in self.customer_ids):
            raise ValueError("customer ids are 1 to 2^62")
        return self


class MembersJoined(PublicModel):
    joined: int
    already_members: int


class MemberPublic(PublicModel):
    customer_id: int
    joined_at: Timestamp


class MembersPage(PublicModel):
    items: list[MemberPublic]
    count: int


class MemberLeft(PublicModel):
    left: bool


class CreatorCreate(StrictModel):
    platform: str = Platform
    id: str = ExternalId                      # the account id: their mentions' author id
    handle: str = Field(min_length=1, max_length=200)
    followers: int = Field(default=0, ge=0, le=10**12)
    customer_id: int | None = Field(default=None, ge=1, le=2**62)
    referral_code: str | None = Field(default=None, min_length=1, max_length=20)


class Engagement(PublicModel):
    posts: int
    likes_per_post: float | None
    comments_per_post: float | None
    rate: float | None


class ReferralResults(PublicModel):
    signups: int
    held: int
    first_orders: int
    revenue: list[Money]


class CreatorReport(PublicModel):
    id: int
    platform: str
    external_id: str
    handle: str
    followers: int
    customer_id: int | None
    referral_code: str | None
    engagement: Engagement
    referrals: ReferralResults | None


class CreatorsPage(PublicModel):
    items: list[CreatorReport]
    count: int
