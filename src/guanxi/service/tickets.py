"""Tickets: create (idempotent per source), classify, prioritise, assign, converse, move, keep the SLA clock."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.customers.models import Order
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.service import abuse, categories, priority as prio, quality, sla, status as machine, teams, training
from guanxi.service.models import Ticket, TicketAttachment, TicketEvent, TicketMessage, TicketPause
from guanxi.service.settings import ServiceSettings

OPEN_STATUSES = ("new", "open", "waiting", "on_hold")
VIP_TAGS = {"vip", "VIP", "svip"}
DIRECTIONS = ("in", "out", "note")
MAX_TAGS, MAX_TAG = 20, 40


class TicketEventKind(StrEnum):
    created = "ticket_created"
    status_changed = "status_changed"
    assigned = "ticket_assigned"
    categorised = "ticket_categorised"
    prioritised = "ticket_prioritised"
    escalated = "ticket_escalated"
    resolved = "ticket_resolved"
    reopened = "ticket_reopened"
    goodwill = "goodwill_granted"
    return_changed = "return_changed"


@dataclass
class AttachmentIn:
    filename: str
    content_type: str
    data: bytes


@dataclass
class TicketIn:
    subject: str
    body: str
    customer_id: int | None = None
    order_id: int | None = None
    order_line_ids: list[int] = field(default_factory=list)
    channel: str = "api"
    source: str = "api"
    external_id: str | None = None
    category: str | None = None
    subcategory: str | None = None
    importance: str = "medium"
    urgency: str = "medium"
    tags: list[str] = field(default_factory=list)
    vip: bool = False
    author: str = "customer"
    message_id: str | None = None          # e-mail Message-ID of the first message
    attachments: list[AttachmentIn] = field(default_factory=list)


def event(session: Session, ticket: Ticket, kind: str, actor: str, now: dt.datetime | None = None, **details) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, kind=str(kind), actor=actor, at=now or utcnow(), details=details))


def get(session: Session, ticket_id: int, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    ticket = session.scalar(stmt.with_for_update() if lock else stmt)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def _clean_tags(tags: list[str]) -> list[str]:
    out = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if len(out) > MAX_TAGS or any(len(t) > MAX_TAG for t in out):
        raise Invalid(f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters")
    return out


def _is_vip(session: Session, customer_id: int | None) -> bool:
    if customer_id is None:
        return False
    customer = profiles.live_customer(session, customer_id)
    return bool(VIP_TAGS & set(customer.tags or [])) or str((customer.attributes or {}).get("tier", "")).lower() == "vip"


def create(session: Session, cfg: ServiceSettings, data: TicketIn, actor: str, now: dt.datetime | None = None
           ) -> tuple[Ticket, bool]:
    """A new ticket, or the one already created from the same (source, external_id)."""
    now = now or utcnow()
    if data.external_id:
        found = session.scalar(select(Ticket).where(Ticket.source == data.source, Ticket.external_id == data.external_id))
        if found:
            return found, False
    if data.customer_id is not None:
        data.customer_id = profiles.live_customer(session, data.customer_id).id
    if data.order_id is not None:
        order = session.get(Order, data.order_id)
        if order is None or (data.customer_id and order.customer_id != data.customer_id):
            raise Invalid(f"order {data.order_id} is not this customer's")
        data.customer_id = data.customer_id or order.customer_id
    rules = categories.rules(session)
    suggestion = training.suggest(session, rules, f"{data.subject}\n{data.body}")
    if data.category:
        categories.check(rules, data.category, data.subcategory)
    vip = data.vip or _is_vip(session, data.customer_id)
    ticket = Ticket(
        source=data.source, external_id=data.external_id, customer_id=data.customer_id, order_id=data.order_id,
        order_line_ids=list(data.order_line_ids), channel=data.channel, subject=data.subject[:300] or "(no subject)",
        category=data.category or (suggestion.category if suggestion else None),
        subcategory=data.subcategory if data.category else (suggestion.subcategory if suggestion else None),
        suggested=f"{suggestion.category}.{suggestion.subcategory}" if suggestion else None,
        suggestion_confidence=suggestion.confidence if suggestion else None,
        category_confirmed=bool(data.category), importance=data.importance, urgency=data.urgency,
        priority=prio.priority_of(data.importance, data.urgency, vip=vip), vip=vip, status="new",
        sla_policy=prio.priority_of(data.importance, data.urgency, vip=vip),
        tags=_clean_tags(data.tags), created_at=now, updated_at=now, mail_token=secrets.token_hex(5),
        text_hash=abuse.text_hash(data.body), abuse_flags=[],
    )
    session.add(ticket)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # The same delivery arrived twice at once: the other one won.
        found = session.scalar(select(Ticket).where(Ticket.source == data.source, Ticket.external_id == data.external_id))
        if found is None:
            raise
        return found, False
    event(session, ticket, TicketEventKind.created, actor, now, source=data.source, priority=ticket.priority,
          suggested=ticket.suggested, confidence=ticket.suggestion_confidence)
    add_message(session, cfg, ticket, "in" if data.source != "staff" else "note", data.author, data.body,
                channel=data.channel, external_id=data.message_id, attachments=data.attachments, now=now)
    teams.route(session, ticket, now)
    abuse.check(session, ticket, now)
    refresh_sla(session, cfg, ticket, now)
    return ticket, True


def _check_attachments(cfg: ServiceSettings, attachments: list[AttachmentIn]) -> None:
    for a in attachments:
        if len(a.data) > cfg.attachment_max_bytes:
            raise Invalid(f"{a.filename}: larger than {cfg.attachment_max_bytes // 1024} KiB")
        if a.content_type.split(";")[0].strip().lower() not in cfg.attachment_types:
            raise Invalid(f"{a.filename}: files of type {a.content_type} are not accepted")


def add_message(session: Session, cfg: ServiceSettings, ticket: Ticket, direction: str, author: str, body: str, *,
                channel: str = "api", external_id: str | None = None, attachments: list[AttachmentIn] = (),
                now: dt.datetime | None = None) -> TicketMessage:
    """Add to the conversation. An answer to the customer is the first response; a customer's message
    reopens a waiting or resolved ticket (a closed one within the reopen window)."""
    now = now or utcnow()
    if direction not in DIRECTIONS:
        raise Invalid(f"direction is one of {', '.join(DIRECTIONS)}")
    if not body.strip() and not attachments:
        raise Invalid("a message needs some text or an attachment")
    _check_attachments(cfg, list(attachments))
    if direction == "out":
        quality.check_reply(body)
    if external_id and session.scalar(select(TicketMessage.id).where(TicketMessage.external_id == external_id)):
        raise Invalid(f"message {external_id} is already recorded")
    message = TicketMessage(ticket_id=ticket.id, direction=direction, author=author[:200], body=body,
                            channel=channel, external_id=external_id, created_at=now)
    session.add(message)
    session.flush()
    for a in attachments:
        session.add(TicketAttachment(message_id=message.id, filename=a.filename[:255], content_type=a.content_type[:100],
                                     size=len(a.data), data=a.data))
    if direction == "out":
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        if ticket.status == "new":
            move(session, cfg, ticket, "open", author, now)
    elif direction == "in" and ticket.status != "new":
        target = machine.status_after_customer_reply(ticket.status, closed_at=ticket.closed_at, now=now,
                                                     reopen_days=cfg.reopen_days)
        if target and target != ticket.status:
            move(session, cfg, ticket, target, author, now)
    ticket.updated_at = now
    refresh_sla(session, cfg, ticket, now)
    return message


def move(session: Session, cfg: ServiceSettings, ticket: Ticket, target: str, actor: str,
         now: dt.datetime | None = None) -> None:
    """Change status: pauses start and end with waiting/on hold; reopening clears the resolution time."""
    now = now or utcnow()
    machine.check_move(ticket.status, target)
    before = ticket.status
    open_pause = session.scalar(select(TicketPause).where(TicketPause.ticket_id == ticket.id,
                                                          TicketPause.ended_at.is_(None)))
    if open_pause and target not in machine.PAUSED:
        open_pause.ended_at = now
    if target in machine.PAUSED:
        if open_pause and open_pause.reason != target:
            open_pause.ended_at = now
            open_pause = None
        if open_pause is None:
            session.add(TicketPause(ticket_id=ticket.id, reason=target, started_at=now))
    if target == "resolved":
        ticket.resolved_at = now
    elif target == "closed":
        ticket.closed_at = now
    elif target == "open" and before in machine.DONE:
        ticket.resolved_at = ticket.closed_at = None
        ticket.reopened += 1
        event(session, ticket, TicketEventKind.reopened, actor, now, was=before)
    ticket.status = target
    ticket.updated_at = now
    event(session, ticket, TicketEventKind.status_changed, actor, now, before=before, after=target)
    session.flush()
    refresh_sla(session, cfg, ticket, now)


def pauses_of(session: Session, ticket_id: int) -> list[sla.Pause]:
    rows = session.scalars(select(TicketPause).where(TicketPause.ticket_id == ticket_id).order_by(TicketPause.started_at))
    return [sla.Pause(p.started_at, p.ended_at) for p in rows]


def clock(session: Session, cfg: ServiceSettings, ticket: Ticket, now: dt.datetime | None = None) -> sla.Clock:
    now = now or utcnow()
    policy = sla.DEFAULT_POLICIES[ticket.sla_policy]
    return sla.evaluate(cfg.schedule(ticket.created_at.date()), policy, created=ticket.created_at, now=now,
                        first_response=ticket.first_response_at, resolved=ticket.resolved_at,
                        pauses=pauses_of(session, ticket.id))


def refresh_sla(session: Session, cfg: ServiceSettings, ticket: Ticket, now: dt.datetime | None = None) -> sla.Clock:
    """Store the clock's due times and state on the ticket, for the inbox to sort and filter by."""
    c = clock(session, cfg, ticket, now)
    ticket.first_response_due = c.first_response.due
    ticket.resolution_due = c.resolution.due
    ticket.sla_due = c.next_due
    states = (c.first_response.state, c.resolution.state)
    ticket.sla_state = next((s for s in ("breached", "missed", "warning", "paused") if s in states),
                            "met" if ticket.status in machine.DONE else "running")
    return c


def update(session: Session, cfg: ServiceSettings, ticket: Ticket, fields: dict, actor: str,
           now: dt.datetime | None = None) -> Ticket:
    """Staff edits: category (a correction counts for accuracy), importance/urgency, tags, team, assignee."""
    now = now or utcnow()
    if "category" in fields or "subcategory" in fields:
        category, sub = fields.get("category", ticket.category), fields.get("subcategory", ticket.subcategory)
        categories.check(categories.rules(session), category, sub)
        event(session, ticket, TicketEventKind.categorised, actor, now, before=f"{ticket.category}.{ticket.subcategory}",
              after=f"{category}.{sub}", suggested=ticket.suggested)
        ticket.category, ticket.subcategory, ticket.category_confirmed = category, sub, True
    if "importance" in fields or "urgency" in fields:
        ticket.importance = fields.get("importance", ticket.importance)
        ticket.urgency = fields.get("urgency", ticket.urgency)
        new = prio.priority_of(ticket.importance, ticket.urgency, vip=ticket.vip)
        if new != ticket.priority:
            event(session, ticket, TicketEventKind.prioritised, actor, now, before=ticket.priority, after=new)
            ticket.priority = ticket.sla_policy = new
    if "tags" in fields:
        ticket.tags = _clean_tags(fields["tags"])
    if "team_id" in fields:
        teams.put_in_team(session, ticket, fields["team_id"], actor, now)
    if "assignee_id" in fields:
        teams.assign(session, ticket, fields["assignee_id"], actor, now)
    ticket.updated_at = now
    refresh_sla(session, cfg, ticket, now)
    return ticket


def messages(session: Session, ticket_id: int, *, include_notes: bool = True) -> list[TicketMessage]:
    stmt = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
    if not include_notes:
        stmt = stmt.where(TicketMessage.direction != "note")
    return list(session.scalars(stmt.order_by(TicketMessage.created_at, TicketMessage.id)))


def attachments_of(session: Session, message_ids: list[int]) -> dict[int, list[TicketAttachment]]:
    out: dict[int, list[TicketAttachment]] = {}
    if message_ids:
        for a in session.scalars(select(TicketAttachment).where(TicketAttachment.message_id.in_(message_ids))):
            out.setdefault(a.message_id, []).append(a)
    return out


def events_of(session: Session, ticket_id: int) -> list[TicketEvent]:
    return list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                .order_by(TicketEvent.at, TicketEvent.id)))


def inbox(session: Session, *, status: list[str] | None = None, team_id: int | None = None,
          assignee_id: int | None = None, priority: str | None = None, category: str | None = None,
          customer_id: int | None = None, sla_state: str | None = None, offset: int = 0,
          limit: int = 50) -> list[Ticket]:
    """Tickets by the most pressing SLA due time first (no due time last), then oldest."""
    stmt = select(Ticket)
    if status and set(status) == set(OPEN_STATUSES):
        # Word for word the partial indexes' condition, so PostgreSQL sees they apply.
        stmt = stmt.where(text("status IN ('new', 'open', 'waiting', 'on_hold')"))
    elif status:
        stmt = stmt.where(Ticket.status.in_(status))
    for column, value in ((Ticket.team_id, team_id), (Ticket.assignee_id, assignee_id), (Ticket.priority, priority),
                          (Ticket.category, category), (Ticket.customer_id, customer_id), (Ticket.sla_state, sla_state)):
        if value is not None:
            stmt = stmt.where(column == value)
    stmt = stmt.order_by(Ticket.sla_due.asc().nulls_last(), Ticket.id).offset(offset).limit(limit)
    return list(session.scalars(stmt))


def resolved_between(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple[int, int, dt.datetime]]:
    """(ticket id, customer id, resolved_at) of tickets of known customers resolved in [since, until) and
    not reopened since (a reopened ticket clears resolved_at or leaves the resolved/closed states)."""
    return list(session.execute(select(Ticket.id, Ticket.customer_id, Ticket.resolved_at).where(
        Ticket.customer_id.is_not(None), Ticket.status.in_(tuple(machine.DONE)),
        Ticket.resolved_at >= since, Ticket.resolved_at < until).order_by(Ticket.id)).all())
