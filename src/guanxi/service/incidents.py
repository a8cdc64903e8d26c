"""Incidents: many tickets about one outage are grouped, answered and resolved together; each ticket
still reopens on its own when its customer replies (the status machine does that)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.service import resolution, surveys, tickets
from guanxi.service.models import Incident, Ticket
from guanxi.service.settings import ServiceSettings
from guanxi.service.status import DONE
from guanxi.staff.roles import Actor

KINDS = ("site", "payment", "carrier", "other")
# Subcategories that point at one shared cause rather than one customer's order.
OUTAGE_SIGNS = {("system", "site_app"): "site", ("system", "payment"): "payment", ("system", "account"): "site",
                ("logistics", "late"): "carrier", ("logistics", "lost"): "carrier"}


def create(session: Session, title: str, kind: str, now: dt.datetime | None = None) -> Incident:
    if kind not in KINDS:
        raise Invalid(f"kind is one of {', '.join(KINDS)}")
    if not title.strip():
        raise Invalid("an incident needs a title")
    incident = Incident(title=title.strip()[:200], kind=kind, status="open", created_at=now or utcnow())
    session.add(incident)
    session.flush()
    return incident


def get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def attach(session: Session, incident: Incident, ticket_ids: list[int], actor: str) -> list[int]:
    if incident.status != "open":
        raise Conflict("the incident is resolved")
    rows = list(session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))))
    missing = set(ticket_ids) - {t.id for t in rows}
    if missing:
        raise Invalid(f"no tickets {sorted(missing)}")
    for t in rows:
        t.incident_id = incident.id
        tickets.event(session, t, "incident_linked", actor, incident_id=incident.id)
    return sorted(t.id for t in rows)


def members(session: Session, incident_id: int, *, open_only: bool = False) -> list[Ticket]:
    stmt = select(Ticket).where(Ticket.incident_id == incident_id).order_by(Ticket.id)
    if open_only:
        stmt = stmt.where(Ticket.status.not_in(DONE))
    return list(session.scalars(stmt))


def answer_all(session: Session, cfg: ServiceSettings, incident: Incident, body: str, author: str,
               now: dt.datetime | None = None) -> list[int]:
    """One answer to every open ticket of the incident."""
    done = []
    for t in members(session, incident.id, open_only=True):
        tickets.add_message(session, cfg, t, "out", author, body, channel="incident", now=now)
        done.append(t.id)
    return done


def resolve_all(session: Session, cfg: ServiceSettings, incident: Incident, root_cause: str, note: str, actor: Actor,
                now: dt.datetime | None = None) -> dict[int, surveys.Sent | None]:
    """Resolve the incident and every open ticket in it; ticket id → its own CSAT survey to send (None: no customer)."""
    now = now or utcnow()
    done = {}
    for t in members(session, incident.id, open_only=True):
        done[t.id] = resolution.resolve(session, cfg, t, resolution.ResolutionIn(
            root_cause=root_cause, resolution_type="explanation", note=note), actor, now)
    incident.status, incident.resolved_at = "resolved", now
    return done


def candidates(session: Session, now: dt.datetime, *, window: dt.timedelta = dt.timedelta(hours=2),
               min_tickets: int = 5) -> list[dict]:
    """Open tickets not in an incident that look like one outage: many of one outage subcategory at once."""
    rows = session.execute(select(Ticket.id, Ticket.category, Ticket.subcategory).where(
        Ticket.created_at >= now - window, Ticket.incident_id.is_(None), Ticket.status.not_in(DONE))).all()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for tid, cat, sub in rows:
        if (cat, sub) in OUTAGE_SIGNS:
            groups[(cat, sub)].append(tid)
    return [{"category": c, "subcategory": s, "kind": OUTAGE_SIGNS[(c, s)], "tickets": sorted(ids)}
            for (c, s), ids in sorted(groups.items()) if len(ids) >= min_tickets]


def list_incidents(session: Session, *, limit: int = 100) -> list[tuple[Incident, int]]:
    """Open incidents first, newest first; each with its number of tickets."""
    from sqlalchemy import case, func

    counts = (select(Ticket.incident_id, func.count().label("n")).where(Ticket.incident_id.is_not(None))
              .group_by(Ticket.incident_id).subquery())
    stmt = (select(Incident, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.incident_id == Incident.id)
            .order_by(case((Incident.status == "open", 0), else_=1), Incident.created_at.desc(), Incident.id.desc())
            .limit(limit))
    return [(row, n) for row, n in session.execute(stmt).all()]


def ungrouped_open(session: Session, *, limit: int = 100) -> list[Ticket]:
    """Open tickets in no incident, newest first: what staff can pick from when grouping by hand."""
    return list(session.scalars(select(Ticket).where(Ticket.incident_id.is_(None), Ticket.status.not_in(DONE))
                                .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)))
