"""CSAT after resolution and NPS to customers with orders, through single-use links.

A CSAT of 2 or less, or an NPS detractor (0–6), opens a ticket by itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.service import tickets
from guanxi.service.models import Survey, Ticket
from guanxi.service.settings import ServiceSettings

RANGES = {"csat": (1, 5), "nps": (0, 10)}


@dataclass(frozen=True)
class Sent:
    survey: Survey
    token: str | None       # None: sent before, the link is not known any more

    def link(self, base_url: str) -> str | None:
        return f"{base_url.rstrip('/')}/s/{self.token}" if self.token else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send(session: Session, cfg: ServiceSettings, kind: str, *, customer_id: int | None, ticket_id: int | None = None,
         now: dt.datetime | None = None) -> Sent:
    """Create a survey with a fresh single-use token; a ticket's CSAT is created once however often asked."""
    now = now or utcnow()
    if kind not in RANGES:
        raise Invalid(f"kind is one of {', '.join(RANGES)}")
    if ticket_id is not None:
        found = session.scalar(select(Survey).where(Survey.kind == kind, Survey.ticket_id == ticket_id))
        if found:
            return Sent(found, None)
    token = secrets.token_urlsafe(24)
    survey = Survey(kind=kind, customer_id=customer_id, ticket_id=ticket_id, token_hash=_hash(token), sent_at=now,
                    expires_at=now + dt.timedelta(days=cfg.survey_days))
    session.add(survey)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return Sent(session.scalar(select(Survey).where(Survey.kind == kind, Survey.ticket_id == ticket_id)), None)
    return Sent(survey, token)


def by_token(session: Session, token: str, now: dt.datetime | None = None) -> Survey:
    survey = session.scalar(select(Survey).where(Survey.token_hash == _hash(token)))
    if survey is None or (now or utcnow()) > survey.expires_at:
        raise NotFound("this survey link is unknown or has expired")
    return survey


def is_negative(kind: str, score: int) -> bool:
    return score <= 2 if kind == "csat" else score <= 6


def nps_group(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def answer(session: Session, cfg: ServiceSettings, token: str, score: int, comment: str = "",
           now: dt.datetime | None = None) -> Survey:
    """Record the answer once; a second use of the link is a conflict. A negative answer opens a ticket."""
    now = now or utcnow()
    survey = by_token(session, token, now)
    lo, hi = RANGES[survey.kind]
    if not lo <= score <= hi:
        raise Invalid(f"the score is {lo} to {hi}")
    if len(comment) > 2000:
        raise Invalid("the comment is at most 2,000 characters")
    # Single use even under two submissions at once: only one UPDATE finds it unanswered.
    claimed = session.execute(
        Survey.__table__.update().where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(answered_at=now, score=score, comment=comment or None))
    if claimed.rowcount != 1:
        raise Conflict("this survey has already been answered")
    session.refresh(survey)
    if is_negative(survey.kind, score):
        survey.follow_up_ticket_id = _open_follow_up(session, cfg, survey, now).id
    return survey


def _open_follow_up(session: Session, cfg: ServiceSettings, survey: Survey, now: dt.datetime) -> Ticket:
    about = session.get(Ticket, survey.ticket_id) if survey.ticket_id else None
    label = "CSAT" if survey.kind == "csat" else "NPS"
    subject = f"{label} {survey.score}: " + (f"follow-up on ticket #{about.id}" if about else "unhappy customer")
    body = survey.comment or f"The customer answered {label} with {survey.score} and left no comment."
    ticket, _ = tickets.create(session, cfg, tickets.TicketIn(
        subject=subject, body=body, customer_id=survey.customer_id, order_id=about.order_id if about else None,
        channel="survey", source="survey", external_id=f"survey:{survey.id}", importance="high", urgency="medium",
        tags=["survey", f"{survey.kind}-negative"], category=about.category if about else None,
        subcategory=about.subcategory if about else None), "system", now)
    return ticket


def of_customer(session: Session, customer_id: int) -> list[Survey]:
    return list(session.scalars(select(Survey).where(Survey.customer_id == customer_id).order_by(Survey.sent_at.desc())))


def nps_score(scores: list[int]) -> float | None:
    """% promoters − % detractors."""
    if not scores:
        return None
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return round(100 * (promoters - detractors) / len(scores), 1)
