"""Scheduled KPI reports over HTTP (included by ``analytics.api``): staff choose the KPIs, the
frequency and day, and the staff who receive them; job ``analytics.send_reports`` mails them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from guanxi.analytics import scheduled_reports
from guanxi.analytics.kpi_tiles import KPI_KEYS
from guanxi.analytics.models import ReportSchedule
from guanxi.analytics.scheduled_reports import ScheduleSpec
from guanxi.deps import AnalyticsReader, SessionDep
from guanxi.schemas import IdPath, StrictModel

router = APIRouter()


class ReportScheduleWrite(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    frequency: Literal["weekly", "monthly"]
    day: Annotated[int, Field(ge=1, le=28, description="weekly: ISO weekday 1 (Monday) to 7; monthly: 1 to 28")]
    recipients: Annotated[list[int], Field(min_length=1, max_length=scheduled_reports.MAX_RECIPIENTS,
                                           description="staff user ids")]
    kpis: Annotated[list[str], Field(max_length=len(KPI_KEYS), description=f"any of {', '.join(KPI_KEYS)}; "
                                                                           "empty: all")] = []
    active: bool = True


def _reply(session, row: ReportSchedule) -> dict:
    sends = scheduled_reports.sends_of(session, row.id, limit=5)
    return {"id": row.id, "name": row.name, "frequency": row.frequency, "day": row.day, "kpis": row.kpis,
            "recipients": row.recipients, "active": row.active, "created_by": row.created_by,
            "created_at": row.created_at,
            "sent": [{"period": s.period, "sent_at": s.sent_at, "recipients": s.recipients, "delivered": s.delivered}
                     for s in sends]}


@router.get("/analytics/report-schedules")
def list_report_schedules(actor: AnalyticsReader, session: SessionDep) -> dict:
    """Every scheduled report with its last five periods sent."""
    return {"items": [_reply(session, row) for row in scheduled_reports.list_schedules(session)],
            "kpis": list(KPI_KEYS)}


@router.post("/analytics/report-schedules", status_code=201)
def create_report_schedule(body: ReportScheduleWrite, actor: AnalyticsReader, session: SessionDep) -> dict:
    """Schedule a KPI report (409 if the name is taken, 422 naming the field otherwise)."""
    row = scheduled_reports.create(session, actor, ScheduleSpec(**body.model_dump()))
    session.commit()
    return _reply(session, row)


@router.put("/analytics/report-schedules/{schedule_id}")
def update_report_schedule(schedule_id: IdPath, body: ReportScheduleWrite, actor: AnalyticsReader,
                           session: SessionDep) -> dict:
    row = scheduled_reports.update_schedule(session, actor, schedule_id, ScheduleSpec(**body.model_dump()))
    session.commit()
    return _reply(session, row)


@router.delete("/analytics/report-schedules/{schedule_id}", status_code=204)
def delete_report_schedule(schedule_id: IdPath, actor: AnalyticsReader, session: SessionDep) -> Response:
    scheduled_reports.delete(session, actor, schedule_id)
    session.commit()
    return Response(status_code=204)
