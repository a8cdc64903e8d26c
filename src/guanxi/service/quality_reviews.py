"""Quality checks (质检): a sample of closed tickets scored against a checklist by a lead, and a
scorecard per agent (reviews, checklist score, CSAT, SLA attainment)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid
from guanxi.service.models import QualityReview, ServiceAgent, Survey, Ticket

CHECKLIST = {
    "greeting": "Greeted the customer by name",
    "understood": "Understood and restated the problem",
    "accurate": "Gave correct information and policy",
    "tone": "Polite, no banned words",
    "resolved": "Solved it, or said clearly what happens next",
    "category": "Category and root cause are right",
}


def sample(session: Session, since: dt.datetime, size: int, *, seed: int | None = None) -> list[Ticket]:
    """A random sample of tickets closed or resolved since `since` that nobody has reviewed yet."""
    reviewed = select(QualityReview.ticket_id)
    rows = list(session.scalars(select(Ticket).where(Ticket.status.in_(("resolved", "closed")),
                                                     Ticket.resolved_at >= since, Ticket.id.not_in(reviewed))
                                .order_by(Ticket.id).limit(5000)))
    return sorted(random.Random(seed).sample(rows, min(size, len(rows))), key=lambda t: t.id)


def review(session: Session, ticket: Ticket, answers: dict[str, bool], reviewer: str, comment: str = "",
           now: dt.datetime | None = None) -> QualityReview:
    if ticket.status not in ("resolved", "closed"):
        raise Conflict("only resolved or closed tickets are reviewed")
    unknown = set(answers) - set(CHECKLIST)
    if unknown or not answers:
        raise Invalid(f"answer the checklist items: {', '.join(CHECKLIST)}")
    if session.scalar(select(QualityReview.id).where(QualityReview.ticket_id == ticket.id)):
        raise Conflict(f"ticket {ticket.id} is reviewed already")
    score = round(100 * sum(bool(v) for v in answers.values()) / len(answers), 1)
    row = QualityReview(ticket_id=ticket.id, agent_id=ticket.assignee_id, reviewer=reviewer, answers=answers,
                        score=score, comment=comment or None, at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def scorecard(session: Session, since: dt.datetime) -> list[dict]:
    names = dict(session.execute(select(ServiceAgent.id, ServiceAgent.name)).all())
    scores, csat, sla = defaultdict(list), defaultdict(list), defaultdict(list)
    for agent, score in session.execute(select(QualityReview.agent_id, QualityReview.score).where(QualityReview.at >= since)):
        scores[agent].append(score)
    for agent, value in session.execute(select(Ticket.assignee_id, Survey.score).join(Survey, Survey.ticket_id == Ticket.id)
                                        .where(Survey.kind == "csat", Survey.answered_at >= since)):
        csat[agent].append(value)
    for agent, state in session.execute(select(Ticket.assignee_id, Ticket.sla_state).where(
            Ticket.status.in_(("resolved", "closed")), Ticket.resolved_at >= since)):
        sla[agent].append(state == "met")
    agents = sorted(set(scores) | set(csat) | set(sla), key=lambda a: (a is None, a or 0))

    def avg(v):
        return round(sum(v) / len(v), 2) if v else None
    return [{"agent_id": a, "agent": names.get(a, "—"), "reviews": len(scores[a]), "quality_score": avg(scores[a]),
             "csat_answers": len(csat[a]), "csat": avg(csat[a]), "resolved": len(sla[a]),
             "sla_attainment": avg([1.0 if m else 0.0 for m in sla[a]])} for a in agents]
