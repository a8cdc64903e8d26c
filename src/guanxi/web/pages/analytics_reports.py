"""Scheduled KPI reports: pick the KPIs, weekly or monthly and the day, and the staff who get them."""

from __future__ import annotations

from typing import Annotated

from babel.dates import get_day_names
from fastapi import APIRouter, Form, Request

from guanxi.analytics import scheduled_reports
from guanxi.analytics.kpi_tiles import KPI_TILES
from guanxi.analytics.scheduled_reports import ScheduleSpec
from guanxi.deps import SessionDep
from guanxi.errors import GuanxiError
from guanxi.staff import service as staff_service
from guanxi.staff.roles import Perm
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render, state_of

router = APIRouter()
ReportsPage = page_for(Perm.analytics_read)
Short = Annotated[str, Form(max_length=100)]


def _page(request: Request, session, *, status: int = 200, **extra):
    rows = [(row, scheduled_reports.sends_of(session, row.id, limit=1)) for row in scheduled_reports.list_schedules(session)]
    staff = [u for u in staff_service.list_users(session) if u.active]
    return render(request, "analytics/reports.html",
                  {"rows": rows, "staff": staff, "names": {u.id: u.email for u in staff_service.list_users(session)},
                   "tiles": KPI_TILES, "weekdays": get_day_names("wide", locale=state_of(request).fmt.locale), "form": extra.pop("form", {}), **extra},
                  fragment="analytics/_reports.html", status=status)


@router.get("/analytics/reports")
def reports_page(request: Request, actor: ReportsPage, session: SessionDep):
    return _page(request, session)


@router.post("/analytics/reports")
def create_report(request: Request, actor: ReportsPage, session: SessionDep, name: Short = "",
                  frequency: Short = "weekly", day: Short = "1",
                  recipients: Annotated[list[str], Form(max_length=scheduled_reports.MAX_RECIPIENTS)] = [],  # noqa: B006
                  kpis: Annotated[list[str], Form(max_length=len(KPI_TILES))] = []):  # noqa: B006
    form = {"name": name, "frequency": frequency, "day": day, "recipients": recipients, "kpis": kpis}
    try:
        spec = ScheduleSpec(name=name, frequency=frequency, day=int(day), kpis=list(kpis),
                            recipients=[int(r) for r in recipients])
        scheduled_reports.create(session, actor, spec)
        session.commit()
    except ValueError:
        session.rollback()
        return _page(request, session, status=422, form=form, error=N_("Numbers only, please."))
    except GuanxiError as exc:
        session.rollback()
        return _page(request, session, status=exc.status, form=form, error=exc.detail)
    return _page(request, session, saved=name)


@router.post("/analytics/reports/{schedule_id}/delete")
def delete_report(schedule_id: int, request: Request, actor: ReportsPage, session: SessionDep):
    try:
        scheduled_reports.delete(session, actor, schedule_id)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _page(request, session, status=exc.status, error=exc.detail)
    return _page(request, session)
