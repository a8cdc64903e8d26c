"""Dashboard: the shop's key figures and a 12-month orders/revenue chart."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from guanxi.customers import kpis
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.money import exponent
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render

router = APIRouter()
menu.add("dashboard", N_("Dashboard"), "/dashboard", Perm.analytics_read, order=10)


@router.get("/dashboard")
def dashboard(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep, runtime: RuntimeDep):
    settings = runtime.settings
    now = dt.datetime.now(dt.UTC)
    offset = ZoneInfo(settings.default_timezone).utcoffset(now.replace(tzinfo=None))
    overview = kpis.overview(session, settings.default_currency, now=now)
    months = kpis.monthly(session, settings.default_currency, now=now,
                          offset_minutes=int(offset.total_seconds() // 60) if offset else 0)
    scale = 10 ** exponent(settings.default_currency)
    chart = {
        "months": [m.month for m in months],
        "orders": [m.orders for m in months],
        "revenue": [round(m.revenue_minor / scale, 2) for m in months],
    }
    return render(request, "dashboard/index.html", {
        "k": overview, "months": months, "chart_json": json.dumps(chart),
    })
