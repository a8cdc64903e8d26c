"""Analytics pages: RFM segments and their movements, cohort retention, and the holdout tracking chart."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from guanxi.analytics import recommendations, reports, winback
from guanxi.analytics.funnel_api import check_range
from guanxi.analytics.kpi_tiles import KPI_TILES, kpi_value
from guanxi.analytics.lifecycle import Stage
from guanxi.analytics.recompute import today
from guanxi.analytics.tracking import repeat_purchase_curve
from guanxi.customers import analytics_feed as feed
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError, Invalid, NotFound
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render, state_of
from guanxi.web.sections import customer_section

router = APIRouter()
menu.add("analytics", N_("Analytics"), "/analytics", Perm.analytics_read, order=15)

def sankey_chart(rfm: dict, labels: dict[str, str], new_label: str, gone_label: str) -> dict | None:
    """Segment moves month over month as Sankey nodes and links (the left column is the month before)."""
    if not rfm["movements"]:
        return None
    def name(seg, month, none_label):
        return f"{labels.get(seg, seg) if seg else none_label} · {month}"
    links = [{"source": name(m["from"], rfm["previous_month"], new_label),
              "target": name(m["to"], rfm["month"], gone_label), "value": m["customers"]} for m in rfm["movements"]]
    nodes = sorted({n for link in links for n in (link["source"], link["target"])})
    return {"kind": "sankey", "nodes": [{"name": n} for n in nodes], "links": links}


def clv_chart(hist: dict) -> dict | None:
    if not hist["counts"]:
        return None
    edges = hist["edges_minor"]
    return {"kind": "histogram", "currency": hist["currency"], "counts": hist["counts"],
            "labels": [f"{edges[i] // 100}–{edges[i + 1] // 100}" for i in range(len(hist["counts"]))]}


@customer_section("analytics", N_("Value and recommendations"), "analytics/_customer_scores.html",
                  perm=Perm.customers_write, order=40)
def customer_scores_section(session, runtime, customer_id: int) -> dict:
    """CLV, segment, stage and churn risk on the 360 page, with the customer's top five products."""
    try:
        scores = reports.customer_scores(session, customer_id)
    except NotFound:
        scores = None
    return {"scores": scores, "recommendations": recommendations.for_customer(session, customer_id, limit=5)}


def _zh(request: Request) -> bool:
    return state_of(request).locale.startswith("zh")


@router.get("/analytics")
def analytics_page(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep, runtime: RuntimeDep,
                   start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
                   end: Annotated[str | None, Query(alias="to", max_length=10)] = None):
    """The dashboard; the KPI tiles cover [from, to] (default: the last 365 days) against the period before."""
    zh = _zh(request)
    error = None
    try:
        first = dt.date.fromisoformat(start) if start else None
        last = dt.date.fromisoformat(end) if end else None
        check_range(first, last)
    except (ValueError, Invalid) as exc:
        first = last = None
        error = exc.detail if isinstance(exc, Invalid) else N_("Dates are YYYY-MM-DD.")
    rfm = reports.rfm_report(session)
    for s in rfm["segments"]:
        s["label"] = s["label_zh"] if zh else s["label_en"]
    labels = {s["segment"]: s["label"] for s in rfm["segments"]}
    moves = [{**m, "from_label": labels.get(m["from"], "—"), "to_label": labels.get(m["to"], "—")}
             for m in rfm["movements"] if m["from"] != m["to"]][:15]
    k = reports.kpi_report(session, runtime.settings, start=first, end=last, cohort_months=12)
    stages = [{"stage": s.value, "label": s.label_zh if zh else s.label_en,
               "customers": k["customers_per_stage"][s.value]} for s in Stage]
    width = max((len(c["retention"]) for c in k["cohorts"]), default=0)
    segment_chart = {"kind": "bars", "labels": [s["label"] for s in rfm["segments"]],
                     "values": [s["customers"] for s in rfm["segments"]]}
    cohort_chart = {"kind": "heatmap", "rows": [c["cohort"] for c in k["cohorts"]], "columns": list(range(width)),
                    "cells": [[j, i, round(v * 100, 1)] for i, c in enumerate(k["cohorts"])
                              for j, v in enumerate(c["retention"])]}
    at_risk = reports.at_risk_list(session) if actor.can(Perm.customers_write) else None
    t = state_of(request).t.gettext
    sankey = sankey_chart(rfm, labels, t("New"), t("No purchase in the window"))
    clv = reports.clv_histogram(session)
    grid = reports.rfm_grid(session)
    grid_chart = {"kind": "grid", "cells": [[g["frequency"] - 1, g["recency"] - 1, g["customers"]] for g in grid],
                  "max": max((g["customers"] for g in grid), default=0)}
    return render(request, "analytics/index.html", {
        "rfm": rfm, "moves": moves, "k": k, "stages": stages, "width": width, "at_risk": at_risk, "labels": labels,
        "tiles": KPI_TILES, "kpi_value": kpi_value, "clv": clv, "grid": grid, "range_error": error,
        "can_start_winback": actor.can(Perm.campaigns_manage),
        "segment_chart": json.dumps(segment_chart, ensure_ascii=False), "cohort_chart": json.dumps(cohort_chart),
        "sankey_chart": json.dumps(sankey, ensure_ascii=False) if sankey else None,
        "clv_chart": json.dumps(clv_chart(clv)) if clv["counts"] else None,
        "grid_chart": json.dumps(grid_chart) if grid else None,
    })


@router.post("/analytics/winback")
def start_winback(request: Request, actor: page_for(Perm.campaigns_manage), session: SessionDep,
                  runtime: RuntimeDep):
    """Create a draft win-back campaign for the at-risk list and open it."""
    try:
        row = winback.start_campaign(session, actor, today=today(runtime.settings))
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return render(request, "errors/error.html", {"status": exc.status, "detail": exc.detail}, status=exc.status)
    return RedirectResponse(f"/care/campaigns/{row.id}", status_code=303)


@router.get("/analytics/holdout")
def holdout_page(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep, runtime: RuntimeDep,
                 calibration_end: Annotated[str | None, Query(max_length=10)] = None,
                 holdout_end: Annotated[str | None, Query(max_length=10)] = None):
    """Fit on orders up to the calibration end; chart expected against actual repeat purchases after it."""
    ids, days = [], []
    for row in feed.purchases(session, timezone=runtime.settings.default_timezone,
                              currency=runtime.settings.default_currency):
        ids.append(row.customer_id)
        days.append(row.day)
    error, curve = None, None
    if not days:
        error = N_("There are no purchases to check the model on yet.")
    else:
        first, last = min(days), max(days)
        try:
            cal = dt.date.fromisoformat(calibration_end) if calibration_end else first + (last - first) / 2
            hold = dt.date.fromisoformat(holdout_end) if holdout_end else last
        except ValueError:
            raise Invalid("dates are YYYY-MM-DD") from None
        if not first <= cal < hold:
            error = N_("The calibration end must fall after the first purchase and before the holdout end.")
        else:
            try:
                curve = repeat_purchase_curve(ids, days, calibration_end=cal, holdout_end=hold)
            except ValueError:
                error = N_("Too few customers to fit the model.")
    chart = None
    if curve:
        chart = json.dumps({"kind": "tracking", "weeks": curve["weeks"], "actual": curve["actual"],
                            "expected": curve["expected"], "calibration_week": curve["calibration_week"]})
    return render(request, "analytics/holdout.html", {
        "curve": curve, "chart": chart, "error": error,
        "calibration_end": calibration_end or (curve["calibration_end"] if curve else ""),
        "holdout_end": holdout_end or (curve["holdout_end"] if curve else ""),
    })
