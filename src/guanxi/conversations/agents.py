"""Chat agents: who they are, whether they take chats now, their skills, cap and VIP customers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.conversations.assignment import AgentStatus
from guanxi.conversations.models import ChatAgent, DedicatedAgent
from guanxi.customers import profiles
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.staff import service as staff_service

STATUSES = tuple(s.value for s in AgentStatus)


def create(session: Session, name: str, *, skills: list[str] = ("*",), max_chats: int = 5,
           staff_user_id: int | None = None, status: str = "offline") -> ChatAgent:
    if not name.strip():
        raise Invalid("an agent needs a name")
    if not 1 <= max_chats <= 100:
        raise Invalid("max_chats is 1 to 100")
    if status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    if staff_user_id is not None:
        staff_service.get_user(session, staff_user_id)  # NotFound names the missing staff user
        if session.scalar(select(ChatAgent.id).where(ChatAgent.staff_user_id == staff_user_id)):
            raise Conflict(f"staff user {staff_user_id} is an agent already")
    agent = ChatAgent(name=name.strip()[:200], skills=list(skills), max_chats=max_chats,
                      staff_user_id=staff_user_id, status=status)
    session.add(agent)
    session.flush()
    return agent


def get(session: Session, agent_id: int) -> ChatAgent:
    agent = session.get(ChatAgent, agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    return agent


def of_user(session: Session, staff_user_id: int | None) -> ChatAgent | None:
    if staff_user_id is None:
        return None
    return session.scalar(select(ChatAgent).where(ChatAgent.staff_user_id == staff_user_id))


def set_status(session: Session, agent_id: int, status: str) -> ChatAgent:
    if status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    agent = get(session, agent_id)
    agent.status = status
    return agent


def all_agents(session: Session) -> list[ChatAgent]:
    return list(session.scalars(select(ChatAgent).order_by(ChatAgent.id)))


def dedicate(session: Session, customer_id: int, agent_id: int | None) -> None:
    """Give a (VIP) customer their own agent, or take it away with None."""
    customer_id = profiles.live_customer(session, customer_id).id
    row = session.get(DedicatedAgent, customer_id)
    if agent_id is None:
        if row is not None:
            session.delete(row)
        return
    get(session, agent_id)
    if row is None:
        session.add(DedicatedAgent(customer_id=customer_id, agent_id=agent_id))
    else:
        row.agent_id = agent_id
