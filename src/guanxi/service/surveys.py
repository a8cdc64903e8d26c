"""CSAT after resolution, NPS to customers with orders, and configurable multi-question surveys
(kind "custom", see survey_definitions.py), all through single-use links.

A CSAT of 2 or less, or an NPS detractor (0–6), opens a ticket by itself; in a custom survey a
rating question answered 1–2 or an NPS question answered 0–6 does the same.
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
from guanxi.service import survey_definitions, tickets
from guanxi.service.models import Survey, SurveyDefinition, SurveyResponse, Ticket
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
         now: dt.datetime | None = None, definition: SurveyDefinition | None = None,
         period_key: str | None = None) -> Sent:
    """Create a survey with a fresh single-use token; a ticket's CSAT is created once however often asked,
    and a survey with a `period_key` once per key (the scheduled NPS)."""
    now = now or utcnow()
    if definition is not None:
        kind = "custom"
    elif kind not in RANGES:
        raise Invalid(f"kind is one of {', '.join(RANGES)}")
    if period_key is not None:
        found = session.scalar(select(Survey).where(Survey.period_key == period_key))
        if found:
            return Sent(found, None)
    if ticket_id is not None:
        found = session.scalar(select(Survey).where(Survey.kind == kind, Survey.ticket_id == ticket_id))
        if found:
            return Sent(found, None)
    token = secrets.token_urlsafe(24)
    survey = Survey(kind=kind, customer_id=customer_id, ticket_id=ticket_id, token_hash=_hash(token), sent_at=now,
                    expires_at=now + dt.timedelta(days=cfg.survey_days),
                    definition_id=definition.id if definition else None, period_key=period_key)
    try:
        with session.begin_nested():
            session.add(survey)
            session.flush()
    except IntegrityError:  # sent at the same moment by another request or worker
        if period_key is not None:
            return Sent(session.scalar(select(Survey).where(Survey.period_key == period_key)), None)
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
    if survey.kind == "custom":
        raise Invalid("this survey has several questions: send them as answers (POST /surveys/{token}/responses)")
    lo, hi = RANGES[survey.kind]
    if not lo <= score <= hi:
        raise Invalid(f"the score is {lo} to {hi}")
    if len(comment) > 2000:
        raise Invalid("the comment is at most 2,000 characters")
    _claim(session, survey, now, score=score, comment=comment or None)
    if is_negative(survey.kind, score):
        survey.follow_up_ticket_id = _open_follow_up(session, cfg, survey, now).id
    return survey


def _claim(session: Session, survey: Survey, now: dt.datetime, **values) -> None:
    # Single use even under two submissions at once: only one UPDATE finds it unanswered.
    claimed = session.execute(
        Survey.__table__.update().where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(answered_at=now, **values))
    if claimed.rowcount != 1:
        raise Conflict("this survey has already been answered: each link takes one answer")
    session.refresh(survey)


def questions_of(session: Session, survey: Survey) -> list[dict]:
    definition = session.get(SurveyDefinition, survey.definition_id) if survey.definition_id else None
    if definition is None:
        raise NotFound("this survey's questions are no longer available")
    return definition.questions


def _value(q: dict, raw: object) -> dict:
    """One answer checked against its question: {"score"|"choice"|"text": value}."""
    where = f"{q['key']}: "
    if q["kind"] in survey_definitions.RANGES:
        lo, hi = survey_definitions.RANGES[q["kind"]]
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
            raise Invalid(where + f"the answer is a whole number from {lo} to {hi}")
        return {"score": raw}
    if not isinstance(raw, str):
        raise Invalid(where + "the answer is text")
    if q["kind"] == "choice":
        values = [o["value"] for o in q["options"]]
        if raw not in values:
            raise Invalid(where + f"the answer is one of {', '.join(values)}")
        return {"choice": raw}
    if len(raw) > survey_definitions.MAX_TEXT:
        raise Invalid(where + f"the answer is at most {survey_definitions.MAX_TEXT:,} characters")
    return {"text": raw.strip()}


def answer_questions(session: Session, cfg: ServiceSettings, token: str, answers: dict[str, object],
                     now: dt.datetime | None = None) -> Survey:
    """Record one answer per question of a custom survey, once. A low rating or an NPS detractor opens a ticket."""
    now = now or utcnow()
    survey = by_token(session, token, now)
    if survey.kind != "custom":
        raise Invalid("this survey has one question: send a score (POST /surveys/{token}/answers)")
    if survey.answered_at is not None:
        raise Conflict("this survey has already been answered: each link takes one answer")
    questions = questions_of(session, survey)
    keys = {q["key"] for q in questions}
    unknown = sorted(set(answers) - keys)
    if unknown:
        raise Invalid(f"no such question: {', '.join(unknown)}")
    rows = []
    for q in questions:
        raw = answers.get(q["key"])
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if q["required"]:
                raise Invalid(f"{q['key']}: this question needs an answer")
            continue
        rows.append(SurveyResponse(survey_id=survey.id, question=q["key"], **_value(q, raw)))
    texts = [r.text for r in rows if r.text]
    _claim(session, survey, now, comment="\n".join(texts)[:2000] or None)
    session.add_all(rows)
    session.flush()
    kinds = {q["key"]: q["kind"] for q in questions}
    low = [r for r in rows if r.score is not None and is_negative("csat" if kinds[r.question] == "rating" else "nps",
                                                                   r.score)]
    if low:
        survey.score = low[0].score   # the answer that raised the alarm, for the follow-up's subject
        survey.follow_up_ticket_id = _open_follow_up(session, cfg, survey, now).id
    return survey


def responses_of(session: Session, survey_id: int) -> list[SurveyResponse]:
    return list(session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey_id)
                                .order_by(SurveyResponse.id)))


def _open_follow_up(session: Session, cfg: ServiceSettings, survey: Survey, now: dt.datetime) -> Ticket:
    about = session.get(Ticket, survey.ticket_id) if survey.ticket_id else None
    label = {"csat": "CSAT", "nps": "NPS"}.get(survey.kind, "Survey")
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
