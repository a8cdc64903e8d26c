"""Scheduled reports: a set of KPIs e-mailed weekly or monthly to chosen staff.

A weekly schedule on day D (ISO weekday, 1 = Monday) reports the previous ISO week, Monday to
Sunday; a monthly one on day D (1-28) reports the previous calendar month. Days are the shop's
(GUANXI_DEFAULT_TIMEZONE). The first run of the job on or after day D claims the period with a
row of analytics_report_sends keyed by (schedule, period) before it mails, so a rerun, a late run
or a second worker sends nothing twice; a worker that was down on day D sends later in the same
week or month. Each KPI is compared with the period of the same length just before (kpi_report).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.analytics.kpi_tiles import KPI_KEYS
from guanxi.analytics.models import ReportSchedule, ReportSend
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.staff import service as staff_service
from guanxi.staff.roles import Actor

FREQUENCIES = {"weekly": (1, 7), "monthly": (1, 28)}  # frequency -> the days it may go out on
MAX_RECIPIENTS = 50


@dataclass
class ScheduleSpec:
    name: str
    frequency: str
    day: int
    recipients: list[int]
    kpis: list[str] = field(default_factory=list)
    active: bool = True


def _bad(where: str, msg: str) -> Invalid:
    return Invalid(msg, errors=[{"loc": ["body", where], "msg": msg}])


def check(session: Session, spec: ScheduleSpec) -> ScheduleSpec:
    spec.name = (spec.name or "").strip()
    if not 1 <= len(spec.name) <= 100:
        raise _bad("name", "a report name is 1 to 100 characters")
    if spec.frequency not in FREQUENCIES:
        raise _bad("frequency", "frequency is weekly or monthly")
    low, high = FREQUENCIES[spec.frequency]
    if not isinstance(spec.day, int) or not low <= spec.day <= high:
        raise _bad("day", "day is the weekday 1 (Monday) to 7 (Sunday) for a weekly report, "
                          "1 to 28 for a monthly one")
    unknown = [k for k in spec.kpis if k not in KPI_KEYS]
    if unknown or len(set(spec.kpis)) != len(spec.kpis):
        raise _bad("kpis", f"kpis: each once, from {', '.join(KPI_KEYS)} (empty: all)")
    if not spec.recipients or len(spec.recipients) > MAX_RECIPIENTS or len(set(spec.recipients)) != len(spec.recipients):
        raise _bad("recipients", f"recipients: 1 to {MAX_RECIPIENTS} staff user ids, each once")
    for uid in spec.recipients:
        try:
            user = staff_service.get_user(session, uid)
        except NotFound:
            raise _bad("recipients", f"no staff user {uid}") from None
        if not user.active:
            raise _bad("recipients", f"staff user {uid} is disabled")
    return spec


def _save(session: Session, row: ReportSchedule, spec: ScheduleSpec) -> ReportSchedule:
    row.name, row.frequency, row.day = spec.name, spec.frequency, spec.day
    row.kpis, row.recipients, row.active = list(spec.kpis), list(spec.recipients), spec.active
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a report named {spec.name!r} exists already") from None
    return row


def create(session: Session, actor: Actor, spec: ScheduleSpec) -> ReportSchedule:
    row = _save(session, ReportSchedule(created_by=actor.ref), check(session, spec))
    audit.record(session, "report_schedule_created", actor, subject_type="report_schedule", subject_id=row.id,
                 name=row.name, frequency=row.frequency, recipients=len(row.recipients))
    return row


def update_schedule(session: Session, actor: Actor, schedule_id: int, spec: ScheduleSpec) -> ReportSchedule:
    row = _save(session, get(session, schedule_id), check(session, spec))
    audit.record(session, "report_schedule_updated", actor, subject_type="report_schedule", subject_id=row.id)
    return row


def delete(session: Session, actor: Actor, schedule_id: int) -> None:
    row = get(session, schedule_id)
    session.delete(row)
    session.flush()
    audit.record(session, "report_schedule_deleted", actor, subject_type="report_schedule", subject_id=schedule_id,
                 name=row.name)


def get(session: Session, schedule_id: int) -> ReportSchedule:
    row = session.get(ReportSchedule, schedule_id)
    if row is None:
        raise NotFound(f"no report schedule {schedule_id}")
    return row


def list_schedules(session: Session) -> list[ReportSchedule]:
    return list(session.scalars(select(ReportSchedule).order_by(ReportSchedule.id)))


def sends_of(session: Session, schedule_id: int, limit: int = 12) -> list[ReportSend]:
    return list(session.scalars(select(ReportSend).where(ReportSend.schedule_id == schedule_id)
                                .order_by(ReportSend.id.desc()).limit(limit)))


def covered(frequency: str, today: dt.date) -> tuple[str, dt.date, dt.date]:
    """(label, first day, last day) of the period a report sent `today` is about."""
    if frequency == "weekly":
        monday = today - dt.timedelta(days=today.weekday() + 7)
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}", monday, monday + dt.timedelta(days=6)
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last:%Y-%m}", last.replace(day=1), last


def is_due(frequency: str, day: int, today: dt.date) -> bool:
    """On or after the schedule's day in the current week (month): its report of the last one may go."""
    return (today.isoweekday() if frequency == "weekly" else today.day) >= day


@dataclass(frozen=True)
class Claimed:
    send_id: int
    schedule: ReportSchedule
    period: str
    start: dt.date
    end: dt.date
    to: list[str]


def recipients_of(session: Session, schedule: ReportSchedule) -> list[str]:
    """The e-mail addresses of the schedule's staff who are still active."""
    out = []
    for uid in schedule.recipients:
        try:
            user = staff_service.get_user(session, uid)
        except NotFound:
            continue
        if user.active:
            out.append(user.email)
    return out


def claim_due(session: Session, now: dt.datetime, timezone: str) -> list[Claimed]:
    """The reports due now and not sent for their period yet, each claimed by its (schedule, period) row."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    out = []
    for row in session.scalars(select(ReportSchedule).where(ReportSchedule.active.is_(True))
                               .order_by(ReportSchedule.id)).all():
        if not is_due(row.frequency, row.day, today):
            continue
        to = recipients_of(session, row)
        if not to:
            continue
        period, start, end = covered(row.frequency, today)
        stmt = insert_ignoring_conflicts(session, ReportSend, ["schedule_id", "period"]).returning(ReportSend.id)
        send_id = session.scalar(stmt, {"schedule_id": row.id, "period": period, "sent_at": now,
                                        "recipients": len(to), "delivered": 0})
        if send_id is not None:
            out.append(Claimed(send_id, row, period, start, end, to))
    return out


def record_delivered(session: Session, send_id: int, delivered: int) -> None:
    session.execute(update(ReportSend).where(ReportSend.id == send_id).values(delivered=delivered))
