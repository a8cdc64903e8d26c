"""Teams, agents and routing: VIP tickets to the VIP queue, then round-robin by skill and load."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.service import assignment
from guanxi.staff.models import StaffUser
from guanxi.service.models import ServiceAgent, ServiceTeam, Ticket, TicketEvent

OPEN_STATUSES = ("new", "open", "waiting", "on_hold")


def create_team(session: Session, name: str, *, lead_email: str | None = None, vip: bool = False) -> ServiceTeam:
    if session.scalar(select(ServiceTeam.id).where(ServiceTeam.name == name)):
        raise Invalid(f"a team named {name!r} exists")
    team = ServiceTeam(name=name, lead_email=lead_email, vip=vip)
    session.add(team)
    session.flush()
    return team


def add_agent(session: Session, team_id: int, name: str, *, skills: list[str] = ("*",), staff_user_id: int | None = None,
              max_open: int | None = None) -> ServiceAgent:
    if session.get(ServiceTeam, team_id) is None:
        raise NotFound(f"no team {team_id}")
    if staff_user_id is not None and session.get(StaffUser, staff_user_id) is None:
        raise Invalid(f"no staff user {staff_user_id}")
    agent = ServiceAgent(team_id=team_id, name=name, skills=list(skills), staff_user_id=staff_user_id, max_open=max_open)
    session.add(agent)
    session.flush()
    return agent


def list_teams(session: Session) -> list[ServiceTeam]:
    return list(session.scalars(select(ServiceTeam).order_by(ServiceTeam.id)))


def agents_of(session: Session, team_id: int | None = None) -> list[ServiceAgent]:
    stmt = select(ServiceAgent).order_by(ServiceAgent.id)
    if team_id is not None:
        stmt = stmt.where(ServiceAgent.team_id == team_id)
    return list(session.scalars(stmt))


def agent_for_user(session: Session, staff_user_id: int | None) -> ServiceAgent | None:
    if staff_user_id is None:
        return None
    return session.scalar(select(ServiceAgent).where(ServiceAgent.staff_user_id == staff_user_id).limit(1))


def _loads(session: Session, agent_ids: list[int]) -> dict[int, int]:
    if not agent_ids:
        return {}
    rows = session.execute(select(Ticket.assignee_id, func.count()).where(
        Ticket.assignee_id.in_(agent_ids), Ticket.status.in_(OPEN_STATUSES)).group_by(Ticket.assignee_id))
    return dict(rows.all())


def _team_for(session: Session, ticket: Ticket) -> ServiceTeam | None:
    teams = list_teams(session)
    if ticket.vip:
        vip = [t for t in teams if t.vip]
        if vip:
            return vip[0]
    regular = [t for t in teams if not t.vip]
    return regular[0] if regular else (teams[0] if teams else None)


def default_team(session: Session) -> ServiceTeam:
    """The team a ticket with none goes to; a desk with no team yet gets one."""
    teams = [t for t in list_teams(session) if not t.vip]
    return teams[0] if teams else create_team(session, "General")


def route(session: Session, ticket: Ticket, now: dt.datetime | None = None) -> None:
    """Put a new ticket in a team (VIP queue for VIPs) and give it to the next agent there."""
    if ticket.team_id is None:
        team = _team_for(session, ticket)
        if team is None:
            return
        ticket.team_id = team.id
    auto_assign(session, ticket, now)


def auto_assign(session: Session, ticket: Ticket, now: dt.datetime | None = None) -> ServiceAgent | None:
    now = now or utcnow()
    # Lock the team's agents so two tickets at once do not both go to the same "least loaded" agent.
    agents = list(session.scalars(select(ServiceAgent).where(ServiceAgent.team_id == ticket.team_id)
                                  .order_by(ServiceAgent.id).with_for_update()))
    loads = _loads(session, [a.id for a in agents])
    chosen = assignment.pick([assignment.Candidate(a.id, frozenset(a.skills or []), loads.get(a.id, 0), a.max_open,
                                                   a.last_assigned_at, a.available) for a in agents],
                             ticket.category, ticket.subcategory)
    if chosen is None:
        return None
    agent = next(a for a in agents if a.id == chosen)
    _give(session, ticket, agent, "system", now)
    return agent


def _give(session: Session, ticket: Ticket, agent: ServiceAgent, actor: str, now: dt.datetime) -> None:
    before = ticket.assignee_id
    ticket.assignee_id = agent.id
    ticket.team_id = agent.team_id
    agent.last_assigned_at = now
    session.add(TicketEvent(ticket_id=ticket.id, kind="ticket_assigned", actor=actor, at=now,
                            details={"before": before, "after": agent.id, "agent": agent.name}))
    session.flush()


def assign(session: Session, ticket: Ticket, agent_id: int | None, actor: str, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    if agent_id is None:
        ticket.assignee_id = None
        return
    agent = session.get(ServiceAgent, agent_id)
    if agent is None:
        raise Invalid(f"no agent {agent_id}")
    _give(session, ticket, agent, actor, now)


def put_in_team(session: Session, ticket: Ticket, team_id: int | None, actor: str, now: dt.datetime | None = None) -> None:
    if team_id is not None and session.get(ServiceTeam, team_id) is None:
        raise Invalid(f"no team {team_id}")
    if team_id != ticket.team_id:
        ticket.team_id = team_id
        ticket.assignee_id = None
        if team_id is not None:
            auto_assign(session, ticket, now)
