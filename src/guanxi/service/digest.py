"""The weekly feedback digest each team gets by e-mail: top issues and root causes of last week
against the week before, its open improvement actions with due dates, SLA attainment and CSAT.

One row per (team, ISO week) in service_feedback_digests makes it go out once, however often the
job runs; the row is written before the mail is sent (at most once rather than twice)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import NotFound
from guanxi.service.models import FeedbackDigest, ImprovementAction, ServiceAgent, ServiceTeam, Survey, Ticket
from guanxi.staff import service as staff_service

TOP = 5


@dataclass(frozen=True)
class Digest:
    team_id: int
    week: str
    recipients: list[str]
    subject: str
    body: str


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_week(now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[Monday, next Monday) of the ISO week before `now`, at midnight in the shop's time zone, as UTC."""
    tz = ZoneInfo(timezone)
    today = now.astimezone(tz).date()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    start = dt.datetime.combine(monday, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=7)


def recipients(session: Session, team: ServiceTeam) -> list[str]:
    """The team lead's address and each member's staff e-mail, once each."""
    found = [team.lead_email] if team.lead_email else []
    for uid in session.scalars(select(ServiceAgent.staff_user_id).where(ServiceAgent.team_id == team.id,
                                                                          ServiceAgent.staff_user_id.is_not(None))):
        try:
            user = staff_service.get_user(session, uid)
        except NotFound:
            continue
        if user.active:
            found.append(user.email)
    return sorted({e.lower(): e for e in found}.values())


def _counts(session: Session, team_id: int, column, at, start, end) -> Counter:
    return Counter(dict(session.execute(select(column, func.count()).where(
        Ticket.team_id == team_id, at >= start, at < end, column.is_not(None)).group_by(column)).all()))


def _compare(title: str, this: Counter, before: Counter) -> list[str]:
    lines = [title]
    if not this:
        return [*lines, "  (none / 无)"]
    for key, n in this.most_common(TOP):
        label = "(no category / 未分类)" if key == "." else key
        lines.append(f"  {label}: {n} (previous week / 上周 {before.get(key, 0)})")
    return lines


def compose(session: Session, team: ServiceTeam, week: str, start: dt.datetime, end: dt.datetime, today: dt.date
            ) -> tuple[str, str]:
    prev = start - dt.timedelta(days=7)
    category = func.coalesce(Ticket.category, "") + "." + func.coalesce(Ticket.subcategory, "")
    issues = [_counts(session, team.id, category, Ticket.created_at, a, b) for a, b in ((start, end), (prev, start))]
    causes = [_counts(session, team.id, Ticket.root_cause, Ticket.resolved_at, a, b) for a, b in ((start, end), (prev, start))]
    done = session.execute(select(Ticket.sla_state).where(Ticket.team_id == team.id, Ticket.resolved_at >= start,
                                                          Ticket.resolved_at < end)).scalars().all()
    met = sum(s == "met" for s in done)
    csat = session.execute(select(func.avg(Survey.score), func.count()).join(Ticket, Survey.ticket_id == Ticket.id)
                           .where(Survey.kind == "csat", Ticket.team_id == team.id, Survey.answered_at >= start,
                                  Survey.answered_at < end)).one()
    actions = session.scalars(select(ImprovementAction).where(
        ImprovementAction.team_id == team.id, ImprovementAction.status.in_(("open", "in_progress")))
        .order_by(ImprovementAction.due_on.is_(None), ImprovementAction.due_on, ImprovementAction.id)).all()
    lines = [f"Feedback digest for {team.name}, week {week} / {team.name} 本周反馈汇总（{week}）", ""]
    lines += _compare("Top issues (category) / 主要问题（类别）:", *issues)
    lines += [""] + _compare("Top root causes / 主要根因:", *causes)
    lines += ["", "SLA attainment / SLA 达成率: " + (f"{met / len(done):.0%} ({met} of {len(done)} resolved)"
                                                 if done else "no tickets resolved / 无已解决工单")]
    lines += ["CSAT / 满意度: " + (f"{float(csat[0]):.2f} of 5 ({csat[1]} answers)" if csat[1] else "no answers / 无回答")]
    lines += ["", "Open improvement actions / 进行中的改进措施:"]
    for a in actions:
        due = a.due_on.isoformat() if a.due_on else "no due date / 未定"
        late = " — OVERDUE / 已逾期" if a.due_on and a.due_on < today else ""
        lines.append(f"  #{a.id} {a.title} [{a.status}] due / 截止 {due}{late}")
    if not actions:
        lines.append("  (none / 无)")
    return f"Weekly feedback digest {week}: {team.name}", "\n".join(lines) + "\n"


def claim_digests(session: Session, now: dt.datetime, timezone: str) -> list[Digest]:
    """The digests of last week not sent yet, each claimed by its (team, week) row."""
    start, end = last_week(now, timezone)
    today = now.astimezone(ZoneInfo(timezone)).date()
    week = week_label(start.astimezone(ZoneInfo(timezone)).date())
    out = []
    for team in session.scalars(select(ServiceTeam).order_by(ServiceTeam.id)).all():
        to = recipients(session, team)
        if not to:
            continue
        stmt = insert_ignoring_conflicts(session, FeedbackDigest, ["team_id", "week"]).returning(FeedbackDigest.id)
        if session.scalar(stmt, {"team_id": team.id, "week": week, "sent_at": now, "recipients": len(to)}) is None:
            continue    # sent before
        subject, body = compose(session, team, week, start, end, today)
        out.append(Digest(team.id, week, to, subject, body))
    return out
