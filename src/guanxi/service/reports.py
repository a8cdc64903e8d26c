"""Service reports: CSAT by agent, category and week; NPS trend; response and resolution times;
SLA attainment; reopen rate; top root causes (Pareto). Pure summaries plus one loader."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from guanxi.arrays import aligned
from guanxi.service.models import ServiceAgent, Survey, Ticket
from guanxi.service.surveys import nps_score


@dataclass(frozen=True)
class Answer:
    kind: str
    score: int
    answered_at: dt.datetime
    agent: str | None
    category: str | None


def _avg(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _week(at: dt.datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def csat(answers: Iterable[Answer]) -> dict:
    by_agent, by_category, by_week = defaultdict(list), defaultdict(list), defaultdict(list)
    scores = []
    for a in answers:
        if a.kind != "csat":
            continue
        scores.append(a.score)
        by_agent[a.agent or "—"].append(a.score)
        by_category[a.category or "—"].append(a.score)
        by_week[_week(a.answered_at)].append(a.score)

    def table(groups):
        return [{"key": k, "average": _avg(v), "answers": len(v)} for k, v in sorted(groups.items())]
    return {"average": _avg(scores), "answers": len(scores), "satisfied_share": (
        round(sum(s >= 4 for s in scores) / len(scores), 3) if scores else None),
        "by_agent": table(by_agent), "by_category": table(by_category), "by_week": table(by_week)}


def nps_trend(answers: Iterable[Answer]) -> list[dict]:
    by_month = defaultdict(list)
    for a in answers:
        if a.kind == "nps":
            by_month[a.answered_at.strftime("%Y-%m")].append(a.score)
    return [{"month": m, "nps": nps_score(v), "answers": len(v),
             "promoters": sum(s >= 9 for s in v), "detractors": sum(s <= 6 for s in v)}
            for m, v in sorted(by_month.items())]


def durations(pairs: Iterable[tuple[dt.datetime, dt.datetime | None]]) -> dict:
    hours = [(end - start).total_seconds() / 3600 for start, end in pairs if end is not None]
    return {"count": len(hours), "median_hours": round(median(hours), 2) if hours else None,
            "average_hours": round(sum(hours) / len(hours), 2) if hours else None}


def pareto(causes: Iterable[str | None], top: int = 10) -> list[dict]:
    counts = Counter(c for c in causes if c)
    total = sum(counts.values())
    out, running = [], 0
    for cause, n in counts.most_common(top):
        running += n
        out.append({"root_cause": cause, "tickets": n, "share": round(n / total, 3),
                    "cumulative": round(running / total, 3)})
    return out


def rate(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def report(session: Session, since: dt.datetime, until: dt.datetime) -> dict:
    """Figures for tickets created (and surveys answered) in [since, until)."""
    rows = session.execute(select(Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at, Ticket.status,
                                  Ticket.sla_state, Ticket.reopened, Ticket.root_cause)
                           .where(Ticket.created_at >= since, Ticket.created_at < until)).all()
    done = [r for r in rows if r.status in ("resolved", "closed")]
    agents = dict(session.execute(select(ServiceAgent.id, ServiceAgent.name)).all())
    answers = [Answer(kind, score, at, agents.get(assignee), category) for kind, score, at, assignee, category in
               session.execute(select(Survey.kind, Survey.score, Survey.answered_at, Ticket.assignee_id, Ticket.category)
                               .outerjoin(Ticket, Survey.ticket_id == Ticket.id)
                               .where(Survey.answered_at >= since, Survey.answered_at < until))]
    return {
        "since": since, "until": until, "tickets": len(rows), "resolved": len(done),
        "first_response": durations((r.created_at, r.first_response_at) for r in rows),
        "resolution": durations((r.created_at, r.resolved_at) for r in done),
        "sla_attainment": rate(sum(r.sla_state == "met" for r in done), len(done)),
        "reopen_rate": rate(sum(r.reopened > 0 for r in done), len(done)),
        "root_causes": pareto(r.root_cause for r in done),
        "csat": csat(answers), "nps": nps_trend(answers),
    }


def satisfaction(session: Session, since: dt.datetime, until: dt.datetime) -> dict:
    """CSAT (mean 1-5 answer) and NPS of the surveys answered in [since, until), for the analytics KPIs."""
    rows = session.execute(select(Survey.kind, Survey.score).where(
        Survey.answered_at >= since, Survey.answered_at < until, Survey.score.is_not(None))).all()
    csat_scores = [score for kind, score in rows if kind == "csat"]
    nps_scores = [score for kind, score in rows if kind == "nps"]
    return {"csat": _avg(csat_scores), "csat_answers": len(csat_scores),
            "nps": nps_score(nps_scores), "nps_answers": len(nps_scores)}


SERVICE_FEATURE_DAYS = 90


def customer_service_features(session: Session, customer_ids, *, as_of: dt.date,
                              timezone: str) -> dict[str, np.ndarray]:
    """Per customer (aligned with ``customer_ids``), as of the end of the shop's day ``as_of``: tickets
    created in the last 90 days (``tickets_90d``), those of them about an order (``complaints_90d``,
    survey follow-ups left out, as in ``rates``) and the score of the latest CSAT answered by then
    (``last_csat``, NaN without one). Nothing after ``as_of`` is read: the churn model's service features."""
    tz = ZoneInfo(timezone)
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tz)
    since = until - dt.timedelta(days=SERVICE_FEATURE_DAYS)
    complaint = case(((Ticket.order_id.is_not(None)) & (Ticket.source != "survey"), 1), else_=0)
    tickets = session.execute(select(Ticket.customer_id, func.count(), func.sum(complaint))
                              .where(Ticket.customer_id.is_not(None), Ticket.created_at >= since,
                                     Ticket.created_at < until)
                              .group_by(Ticket.customer_id)).all()
    last: dict[int, int] = {}
    for cid, score in session.execute(select(Survey.customer_id, Survey.score).where(
            Survey.kind == "csat", Survey.customer_id.is_not(None), Survey.score.is_not(None),
            Survey.answered_at < until).order_by(Survey.customer_id, Survey.answered_at, Survey.id)
            .execution_options(yield_per=10_000)):
        last[cid] = score
    counts = aligned(customer_ids, [t[0] for t in tickets], [(t[1], t[2] or 0) for t in tickets], columns=2)
    return {"tickets_90d": counts[:, 0], "complaints_90d": counts[:, 1],
            "last_csat": aligned(customer_ids, list(last), list(last.values()), fill=np.nan)[:, 0]}
