"""Request and reply models of the service-desk API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from guanxi.schemas import PublicModel, StrictModel

Level = Literal["low", "medium", "high"]
Status = Literal["new", "open", "waiting", "on_hold", "resolved", "closed"]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
Tag = Annotated[str, Field(min_length=1, max_length=40)]


class AttachmentCreate(StrictModel):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=3, max_length=100)]
    data_base64: Annotated[str, Field(min_length=1, max_length=8 * 1024 * 1024)]


class TicketCreate(StrictModel):
    subject: Annotated[str, Field(min_length=1, max_length=300)]
    body: Annotated[str, Field(min_length=1, max_length=20000)]
    customer_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    order_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    order_line_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(default_factory=list, max_length=100)
    channel: Annotated[str, Field(min_length=1, max_length=40)] = "api"
    source: Annotated[str, Field(min_length=1, max_length=40)] = "api"
    external_id: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="idempotency key within the source: the same key returns the same ticket")
    category: Code | None = None
    subcategory: Code | None = None
    importance: Level = "medium"
    urgency: Level = "medium"
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    attachments: list[AttachmentCreate] = Field(default_factory=list, max_length=10)


class TicketUpdate(StrictModel):
    category: Code | None = None
    subcategory: Code | None = None
    importance: Level | None = None
    urgency: Level | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    team_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    assignee_id: Annotated[int, Field(ge=1, le=2**62)] | None = None


class MessageCreate(StrictModel):
    direction: Literal["in", "out", "note"] = "out"
    body: Annotated[str, Field(max_length=20000)] = ""
    attachments: list[AttachmentCreate] = Field(default_factory=list, max_length=10)


class TransitionCreate(StrictModel):
    status: Status


class ResolutionCreate(StrictModel):
    root_cause: Annotated[str, Field(min_length=1, max_length=100)]
    resolution_type: Literal["refund", "replacement", "coupon", "points", "explanation"]
    note: Annotated[str, Field(max_length=5000)] = ""
    goodwill_points: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    follow_up_days: Annotated[int, Field(ge=0, le=365)] | None = None


class ReturnCreate(StrictModel):
    kind: Literal["return", "exchange"]
    order_line_id: Annotated[int, Field(ge=1, le=2**62)]
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] = 1


class ReturnTransition(StrictModel):
    state: Literal["approved", "rejected", "received", "refunded", "exchanged"]


class CategorySave(StrictModel):
    name_en: Annotated[str, Field(min_length=1, max_length=100)]
    name_zh: Annotated[str, Field(min_length=1, max_length=100)]
    keywords: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list, max_length=200)
    active: bool = True


class TeamCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    lead_email: Annotated[str, Field(max_length=254)] | None = None
    vip: bool = False


class AgentCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    skills: list[Annotated[str, Field(min_length=1, max_length=81)]] = Field(default_factory=lambda: ["*"], max_length=50)
    staff_user_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    max_open: Annotated[int, Field(ge=1, le=10_000)] | None = None


class SurveyCreate(StrictModel):
    kind: Literal["nps", "csat"] = "nps"
    customer_id: Annotated[int, Field(ge=1, le=2**62)]


class SurveyAnswer(StrictModel):
    score: Annotated[int, Field(ge=0, le=10)]
    comment: Annotated[str, Field(max_length=2000)] = ""


class IncidentCreate(StrictModel):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["site", "payment", "carrier", "other"]
    ticket_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(default_factory=list, max_length=1000)


class IncidentTickets(StrictModel):
    ticket_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=1000)


class IncidentReply(StrictModel):
    body: Annotated[str, Field(min_length=1, max_length=20000)]


class IncidentResolution(StrictModel):
    root_cause: Annotated[str, Field(min_length=1, max_length=100)] = "system_outage"
    note: Annotated[str, Field(max_length=5000)] = ""


class ActionCreate(StrictModel):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    root_cause: Annotated[str, Field(min_length=1, max_length=100)]
    category: Code | None = None
    subcategory: Code | None = None
    team_id: Annotated[int, Field(ge=1, le=2**62)] | None = None
    due_on: Annotated[dt.date | None, Field(strict=False, description="YYYY-MM-DD")] = None


class ActionTransition(StrictModel):
    status: Literal["open", "in_progress", "done", "dropped"]


class QualityReviewCreate(StrictModel):
    answers: dict[Annotated[str, Field(max_length=40)], bool] = Field(min_length=1, max_length=20)
    comment: Annotated[str, Field(max_length=2000)] = ""


# --- replies ------------------------------------------------------------------------------------

class AttachmentPublic(PublicModel):
    id: int
    filename: str
    content_type: str
    size: int


class MessagePublic(PublicModel):
    id: int
    direction: str
    author: str
    body: str
    channel: str
    created_at: dt.datetime
    attachments: list[AttachmentPublic] = []


class EventPublic(PublicModel):
    kind: str
    actor: str
    at: dt.datetime
    details: dict


class ReturnPublic(PublicModel):
    id: int
    kind: str
    order_line_id: int | None
    quantity: int
    state: str
    returnable: bool | None
    created_at: dt.datetime


class SlaTarget(PublicModel):
    state: str
    due: dt.datetime | None
    warn_at: dt.datetime | None
    elapsed_seconds: int
    budget_seconds: int


class TicketSummary(PublicModel):
    id: int
    subject: str
    status: str
    priority: str
    vip: bool
    category: str | None
    subcategory: str | None
    customer_id: int | None
    team_id: int | None
    assignee_id: int | None
    channel: str
    tags: list[str]
    sla_due: dt.datetime | None
    sla_state: str
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketPublic(TicketSummary):
    source: str
    external_id: str | None
    order_id: int | None
    order_line_ids: list[int]
    importance: str
    urgency: str
    sla_policy: str
    suggested: str | None
    suggestion_confidence: float | None
    category_confirmed: bool
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopened: int
    root_cause: str | None
    resolution_type: str | None
    resolution_note: str | None
    goodwill_points: int | None
    goodwill_ref: str | None
    follow_up_on: dt.date | None
    abuse_flags: list[dict] = []
    first_response: SlaTarget | None = None
    resolution: SlaTarget | None = None
    messages: list[MessagePublic] = []
    events: list[EventPublic] = []
    returns: list[ReturnPublic] = []


class TicketsPage(PublicModel):
    items: list[TicketSummary]
    offset: int
    limit: int


class ResolutionReply(PublicModel):
    ticket: TicketPublic
    survey_link: str | None


class CategoryPublic(PublicModel):
    id: int
    category: str
    code: str
    name_en: str
    name_zh: str
    keywords: list[str]
    active: bool


class ClassifierPublic(PublicModel):
    """The latest training: both accuracies on the same held-out closed tickets, and which one suggests now."""

    trained_on: dt.date
    trained_at: dt.datetime
    examples: int = Field(description="closed tickets with a category staff set or confirmed")
    held_out: int = Field(description="of them, kept out of training to measure accuracy")
    naive_bayes_accuracy: float | None = Field(description="None when there were too few tickets to train")
    keyword_accuracy: float | None
    in_use: bool = Field(description="naive Bayes beat the keyword rules, so it suggests the category")


class AccuracyPublic(PublicModel):
    suggested: int
    correct: int
    rate: float | None
    classifier: ClassifierPublic | None = None


class TeamPublic(PublicModel):
    id: int
    name: str
    lead_email: str | None
    vip: bool


class AgentPublic(PublicModel):
    id: int
    team_id: int
    name: str
    skills: list[str]
    max_open: int | None
    available: bool


class SurveySent(PublicModel):
    id: int
    kind: str
    link: str | None
    expires_at: dt.datetime


class SurveyAnswered(PublicModel):
    id: int
    kind: str
    score: int
    follow_up_ticket_id: int | None


class IncidentPublic(PublicModel):
    id: int
    title: str
    kind: str
    status: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    ticket_ids: list[int] = []


class ActionPublic(PublicModel):
    id: int
    title: str
    root_cause: str
    category: str | None
    subcategory: str | None
    team_id: int | None
    due_on: dt.date | None
    status: str
    created_at: dt.datetime
    done_at: dt.datetime | None
    customers_told: int
    before_per_week: float | None = None
    after_per_week: float | None = None
