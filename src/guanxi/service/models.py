"""Tables of the service domain: teams and agents, categories, tickets and their conversation,
pauses, events, returns, escalations and surveys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text, Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, JsonType, UTCDateTime, utcnow


class ServiceTeam(Base):
    __tablename__ = "service_teams"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    lead_email: Mapped[str | None] = mapped_column(String(254))   # told about breaches
    vip: Mapped[bool] = mapped_column(Boolean, default=False)     # the VIP queue


class ServiceAgent(Base):
    __tablename__ = "service_agents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("service_teams.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list] = mapped_column(JsonType, default=list)   # ["product", "logistics.late", "*"]
    max_open: Mapped[int | None] = mapped_column(Integer)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TicketCategory(Base):
    """The shop's editable taxonomy: a subcategory under one of the four categories, with its keywords."""

    __tablename__ = "ticket_categories"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[list] = mapped_column(JsonType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("category", "code"),)


class CategoryClassifier(Base):
    """One day's naive Bayes over closed tickets, its held-out accuracy and the keyword rules' (see classifier.py)."""

    __tablename__ = "service_category_classifiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    trained_on: Mapped[dt.date] = mapped_column(Date, unique=True)   # one model a day: retraining replaces it
    trained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    examples: Mapped[int] = mapped_column(Integer)
    held_out: Mapped[int] = mapped_column(Integer)
    naive_bayes_accuracy: Mapped[float | None] = mapped_column(Float)
    keyword_accuracy: Mapped[float | None] = mapped_column(Float)
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)     # it beat the keyword rules
    model: Mapped[dict | None] = mapped_column(JsonType)             # Model.to_json(); None when not in use


_OPEN = text("status IN ('new', 'open', 'waiting', 'on_hold')")


class Incident(Base):
    """One outage (the site, payments, a carrier) behind many tickets, answered and closed together."""

    __tablename__ = "service_incidents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))          # site | payment | carrier | other
    status: Mapped[str] = mapped_column(String(20), default="open")   # open | resolved
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40), default="api")   # who sent it: api | email | member | staff | survey
    external_id: Mapped[str | None] = mapped_column(String(200))    # idempotency key within the source
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    order_line_ids: Mapped[list] = mapped_column(JsonType, default=list)
    channel: Mapped[str] = mapped_column(String(40), default="api")
    subject: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    suggested: Mapped[str | None] = mapped_column(String(81))       # "category.subcategory"
    suggestion_confidence: Mapped[float | None] = mapped_column(Float)
    category_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    importance: Mapped[str] = mapped_column(String(10), default="medium")
    urgency: Mapped[str] = mapped_column(String(10), default="medium")
    priority: Mapped[str] = mapped_column(String(2), default="P3")
    # The SLA policy follows triage (importance × urgency, VIP); an escalation raises `priority`
    # for the queue but does not shorten the budgets it was measured against.
    sla_policy: Mapped[str] = mapped_column(String(2), default="P3")
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="new")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("service_teams.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("service_agents.id", ondelete="SET NULL"))
    tags: Mapped[list] = mapped_column(JsonType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    # The SLA clock's figures, kept current on every change so the inbox can sort by them.
    first_response_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sla_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sla_state: Mapped[str] = mapped_column(String(20), default="running")
    root_cause: Mapped[str | None] = mapped_column(String(100))
    resolution_type: Mapped[str | None] = mapped_column(String(20))  # refund | replacement | coupon | points | explanation
    resolution_note: Mapped[str | None] = mapped_column(Text)
    goodwill_points: Mapped[int | None] = mapped_column(Integer)
    goodwill_ref: Mapped[str | None] = mapped_column(String(100))   # "loyalty:<entry id>"
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    mail_token: Mapped[str | None] = mapped_column(String(40), unique=True)  # [#T-…] in e-mail subjects
    text_hash: Mapped[str | None] = mapped_column(String(64), index=True)   # the first message, normalised
    abuse_flags: Mapped[list] = mapped_column(JsonType, default=list)        # reasons this case is in review
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("service_incidents.id", ondelete="SET NULL"), index=True)

    # The inbox reads open tickets by SLA due time (NULLS LAST = index order on PostgreSQL), alone
    # or per agent or team: partial indexes on the open statuses keep that a short index scan.
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_tickets_sla_due", "sla_due", "id"),
        Index("ix_tickets_open_due", "sla_due", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_tickets_open_assignee_due", "assignee_id", "sla_due", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_tickets_open_team_due", "team_id", "sla_due", "id", postgresql_where=_OPEN, sqlite_where=_OPEN),
    )


class TicketMessage(Base):
    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(10))   # in | out | note
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(40), default="api")
    external_id: Mapped[str | None] = mapped_column(String(300), unique=True)  # e-mail Message-ID
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketAttachment(Base):
    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class TicketPause(Base):
    """A span in which the SLA clock stood still (waiting for the customer, on hold)."""

    __tablename__ = "ticket_pauses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TicketEvent(Base):
    """What happened to a ticket: created, status_changed, assigned, escalated, categorised, resolved…"""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict] = mapped_column(JsonType, default=dict)


class TicketReturn(Base):
    """A return or exchange linked to a ticket, with its own state."""

    __tablename__ = "ticket_returns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))    # return | exchange
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="requested")
    returnable: Mapped[bool | None] = mapped_column(Boolean)  # within the no-reason window when requested
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketEscalation(Base):
    """One escalation (or warning) per (ticket, SLA target, due time): the job may run twice and acts once."""

    __tablename__ = "ticket_escalations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(40))   # first_response | resolution | warning:first_response …
    period: Mapped[str] = mapped_column(String(40))   # the due time breached: a new due time may escalate again
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    priority_from: Mapped[str] = mapped_column(String(2))
    priority_to: Mapped[str] = mapped_column(String(2))

    __table_args__ = (UniqueConstraint("ticket_id", "target", "period"),)


class Survey(Base):
    """A CSAT or NPS question sent to a customer through a single-use link."""

    __tablename__ = "service_surveys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))     # csat | nps
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    follow_up_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    # kind "custom": the questions of a definition, answered one row per question in service_survey_answers.
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("service_survey_definitions.id", ondelete="SET NULL"))
    # The scheduled NPS: one survey per customer per period, whatever how often the job runs.
    period_key: Mapped[str | None] = mapped_column(String(80), unique=True)

    __table_args__ = (UniqueConstraint("kind", "ticket_id"),)


class SurveyDefinition(Base):
    """A configurable survey: questions (rating 1–5, nps 0–10, choice, text) with zh-CN and en texts."""

    __tablename__ = "service_survey_definitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list] = mapped_column(JsonType, default=list)   # checked by survey_definitions.check
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyResponse(Base):
    """One answer to one question of a custom survey."""

    __tablename__ = "service_survey_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("service_surveys.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(40))
    score: Mapped[int | None] = mapped_column(Integer)
    choice: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("survey_id", "question"),)


class RootCause(Base):
    """The shop's editable list of root causes a resolution picks from (retired ones stay for history)."""

    __tablename__ = "service_root_causes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CannedReply(Base):
    """A canned reply in both languages with $variables; status and tag make it a macro."""

    __tablename__ = "service_canned_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title_en: Mapped[str] = mapped_column(String(100))
    title_zh: Mapped[str] = mapped_column(String(100))
    body_en: Mapped[str] = mapped_column(Text)
    body_zh: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(20))
    tag: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FeedbackDigest(Base):
    """The weekly feedback digest sent to a team: one row per (team, ISO week) so it goes out once."""

    __tablename__ = "service_feedback_digests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("service_teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))     # "2026-W49"
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("team_id", "week"),)


class ImprovementAction(Base):
    """From a root cause to an action with an owning team, a due date and a status (the closed loop)."""

    __tablename__ = "service_improvement_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    root_cause: Mapped[str] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("service_teams.id", ondelete="SET NULL"))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")   # open | in_progress | done | dropped
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    customers_told: Mapped[int] = mapped_column(Integer, default=0)


class QualityReview(Base):
    """A lead's score of one closed ticket against the checklist (质检)."""

    __tablename__ = "service_quality_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("service_agents.id", ondelete="SET NULL"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict] = mapped_column(JsonType, default=dict)     # checklist item → passed
    score: Mapped[float] = mapped_column(Float)                        # 0..100
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
