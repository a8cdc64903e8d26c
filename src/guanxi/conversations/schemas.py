"""Request and reply models of the inbox API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from guanxi.schemas import PublicModel, StrictModel, Timestamp

Id = Annotated[int, Field(ge=1, le=2**62)]
ConvType = Literal["pre_sales", "order_status", "after_sales", "complaint", "other"]
ConvStatus = Literal["open", "waiting", "closed"]
Tag = Annotated[str, Field(min_length=1, max_length=40)]
Locale = Literal["zh-CN", "en"]


class ConversationUpdate(StrictModel):
    type: ConvType | None = None
    status: ConvStatus | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    order_id: Id | None = None


class ReplyCreate(StrictModel):
    body: Annotated[str, Field(min_length=1, max_length=5000)]
    article_id: Id | None = None


class NoteCreate(StrictModel):
    body: Annotated[str, Field(min_length=1, max_length=5000)]
    mentions: list[Id] = Field(default_factory=list, max_length=20)


class TransferCreate(StrictModel):
    agent_id: Id | None
    reason: Annotated[str, Field(max_length=300)] = ""


class TicketFromConversation(StrictModel):
    subject: Annotated[str, Field(min_length=1, max_length=300)] | None = None


class CallCreate(StrictModel):
    direction: Literal["in", "out"] = "out"
    duration_seconds: Annotated[int, Field(ge=0, le=86400)]
    notes: Annotated[str, Field(max_length=5000)] = ""
    phone: Annotated[str, Field(min_length=3, max_length=40)] | None = None


class MessagePublic(PublicModel):
    id: int
    direction: str
    kind: str
    author: str
    body: str
    mentions: list[int]
    call_seconds: int | None
    delivery: str | None
    delivery_error: str | None
    article_id: int | None
    created_at: dt.datetime


class TargetPublic(PublicModel):
    kind: str
    due: dt.datetime | None
    state: str
    remaining_seconds: int | None


class ConversationSummary(PublicModel):
    id: int
    channel: str
    thread: str
    customer_id: int | None
    visitor_id: int | None
    type: str
    status: str
    assignee_id: int | None
    vip: bool
    tags: list[str]
    order_id: int | None
    ticket_id: int | None
    waiting_since: dt.datetime | None
    first_response_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    target: TargetPublic | None = None


class ConversationsPage(PublicModel):
    items: list[ConversationSummary]
    offset: int
    limit: int


class ConversationPublic(ConversationSummary):
    messages: list[MessagePublic]


class AgentCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    skills: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=lambda: ["*"], max_length=30)
    max_chats: Annotated[int, Field(ge=1, le=100)] = 5
    staff_user_id: Id | None = None
    status: Literal["online", "away", "offline"] = "offline"


class AgentStatusUpdate(StrictModel):
    status: Literal["online", "away", "offline"]


class AgentPublic(PublicModel):
    id: int
    name: str
    status: str
    skills: list[str]
    max_chats: int
    staff_user_id: int | None


class DedicatedAgentSet(StrictModel):
    agent_id: Id | None


class ArticleSave(StrictModel):
    slug: Annotated[str, Field(min_length=1, max_length=100)]
    locale: Locale
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=50000)]
    category: Annotated[str, Field(min_length=1, max_length=40)] = "general"
    public: bool = True
    expected_version: Annotated[int, Field(ge=1)] | None = None


class ArticlePublic(PublicModel):
    id: int
    slug: str
    locale: str
    category: str
    title: str
    body: str
    version: int
    public: bool
    sent_count: int
    ticket_after_count: int
    needs_rewrite: bool = False
    updated_by: str
    updated_at: dt.datetime


class ArticleHit(PublicModel):
    id: int
    slug: str
    locale: str
    title: str
    excerpt: str
    score: float
    url: str


class CannedSave(StrictModel):
    key: Annotated[str, Field(min_length=1, max_length=60)]
    locale: Locale
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=5000)]


class CannedPublic(PublicModel):
    id: int
    key: str
    locale: str
    title: str
    body: str


class CallBackCreate(StrictModel):
    customer_id: Id
    reason: Literal["vip", "large_order", "complaint", "other"]
    due_at: Timestamp
    script: Annotated[str, Field(max_length=5000)] | None = None
    conversation_id: Id | None = None
    agent_id: Id | None = None


class CallBackOutcome(StrictModel):
    outcome: Annotated[str, Field(min_length=1, max_length=2000)]
    next_at: Timestamp | None = None


class CallBackPublic(PublicModel):
    id: int
    customer_id: int
    conversation_id: int | None
    reason: str
    script: str
    due_at: dt.datetime
    status: str
    outcome: str | None
    agent_id: int | None
    done_at: dt.datetime | None
