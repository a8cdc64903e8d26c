"""Warnings before an SLA breach and escalation after it: once per (ticket, target, due time).

An escalation raises the priority one step and tells the team lead; a warning is recorded on
the ticket (the inbox shows it). Safe to run twice, late, or on two workers at once: the unique
(ticket, target, period) row decides who acts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.service import priority as prio, tickets
from guanxi.service.models import ServiceTeam, Ticket, TicketEscalation
from guanxi.service.settings import ServiceSettings
from guanxi.service.status import DONE

LOOK_AHEAD = dt.timedelta(days=1)


@dataclass
class Outcome:
    escalated: list[int] = field(default_factory=list)
    warned: list[int] = field(default_factory=list)
    leads: list[tuple[str, int]] = field(default_factory=list)   # (lead e-mail, ticket id) to tell


def _claim(session: Session, ticket: Ticket, target: str, due: dt.datetime, now: dt.datetime, new_priority: str) -> bool:
    try:
        with session.begin_nested():
            session.add(TicketEscalation(ticket_id=ticket.id, target=target, period=due.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                         at=now, priority_from=ticket.priority, priority_to=new_priority))
            session.flush()
        return True
    except IntegrityError:
        return False


def run(session: Session, cfg: ServiceSettings, now: dt.datetime, limit: int = 2000) -> Outcome:
    out = Outcome()
    due_soon = session.scalars(select(Ticket).where(Ticket.status.not_in(DONE), Ticket.sla_due.is_not(None),
                                                    Ticket.sla_due <= now + LOOK_AHEAD)
                               .order_by(Ticket.sla_due).limit(limit))
    for ticket in list(due_soon):
        clock = tickets.refresh_sla(session, cfg, ticket, now)
        for name, target in (("first_response", clock.first_response), ("resolution", clock.resolution)):
            if target.due is None:
                continue
            if target.state == "breached":
                raised = prio.raised(ticket.priority)
                if _claim(session, ticket, name, target.due, now, raised):
                    tickets.event(session, ticket, tickets.TicketEventKind.escalated, "system", now, target=name,
                                  due=target.due.isoformat(), before=ticket.priority, after=raised)
                    ticket.priority = raised
                    out.escalated.append(ticket.id)
                    team = session.get(ServiceTeam, ticket.team_id) if ticket.team_id else None
                    if team and team.lead_email:
                        out.leads.append((team.lead_email, ticket.id))
            elif target.state == "warning":
                if _claim(session, ticket, f"warning:{name}", target.due, now, ticket.priority):
                    tickets.event(session, ticket, "sla_warning", "system", now, target=name, due=target.due.isoformat())
                    out.warned.append(ticket.id)
    return out


def close_quiet(session: Session, cfg: ServiceSettings, now: dt.datetime, limit: int = 2000) -> list[int]:
    """Resolved tickets the customer left alone for `close_after_days` are closed."""
    cutoff = now - dt.timedelta(days=cfg.close_after_days)
    rows = list(session.scalars(select(Ticket).where(Ticket.status == "resolved", Ticket.resolved_at <= cutoff)
                                .limit(limit)))
    for t in rows:
        tickets.move(session, cfg, t, "closed", "system", now)
    return [t.id for t in rows]


def follow_ups(session: Session, cfg: ServiceSettings, today: dt.date, now: dt.datetime, limit: int = 2000) -> list[int]:
    """Resolved tickets whose follow-up date has come: a note and a tag put them in front of the team once."""
    rows = list(session.scalars(select(Ticket).where(Ticket.follow_up_on.is_not(None), Ticket.follow_up_on <= today)
                                .order_by(Ticket.follow_up_on).limit(limit)))
    done = []
    for t in rows:
        if _claim(session, t, "follow_up", dt.datetime.combine(t.follow_up_on, dt.time(), tzinfo=dt.UTC), now, t.priority):
            tickets.add_message(session, cfg, t, "note", "system", f"Follow-up due: call or write to the customer "
                                f"about the {t.resolution_type or 'resolution'} ({t.root_cause or 'no root cause'}).",
                                now=now)
            if "follow-up" not in (t.tags or []):
                t.tags = [*(t.tags or []), "follow-up"]
            done.append(t.id)
    return done
