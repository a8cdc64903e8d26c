"""The funnel page: view → cart → order over a date range, with an ECharts funnel and the same figures as tables."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request

from guanxi.analytics.funnel_report import default_range, funnel_report
from guanxi.analytics.site_tracking import site_key
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.staff.roles import Perm
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render

router = APIRouter()
STEP_LABELS = {"viewed": N_("Viewed"), "carted": N_("Added to cart"), "ordered": N_("Ordered")}


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/analytics/funnel")
def funnel_page(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep, runtime: RuntimeDep,
                start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
                end: Annotated[str | None, Query(alias="to", max_length=10)] = None):
    error = None
    first, last = _day(start), _day(end)
    if (start and first is None) or (end and last is None):
        error = N_("Dates are YYYY-MM-DD.")
        first = last = None
    first, last = default_range(runtime.settings, first, last)
    if not error and (first > last or (last - first).days > 3660):
        error = N_("The first day must not be after the last, and the range at most ten years.")
        first, last = default_range(runtime.settings, None, None)
    f = funnel_report(session, runtime.settings, first, last)
    chart = {"kind": "funnel", "steps": [s["step"] for s in f["steps"]],
             "values": [s["customers"] for s in f["steps"]]}
    return render(request, "analytics/funnel.html", {
        "f": f, "error": error, "labels": STEP_LABELS, "start": first.isoformat(), "end": last.isoformat(),
        "chart": json.dumps(chart), "tracking": _tracking(request, runtime),
    })


def _tracking(request: Request, runtime) -> dict:
    """What the shop pastes into its pages: the snippet with this instance's address and site key."""
    key = site_key(runtime.secrets.session_secret)
    src = str(request.base_url).rstrip("/") + "/t/guanxi.js"
    snippet = ("<script>window.guanxi=window.guanxi||function(){(guanxi.q=guanxi.q||[]).push(arguments)};</script>\n"
               f'<script async src="{src}" data-site="{key}"></script>')
    return {"key": key, "snippet": snippet, "origins": runtime.settings.tracking_origins}
