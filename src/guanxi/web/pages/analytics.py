"""Analytics pages: RFM segments and their movements, cohort retention, and the holdout tracking chart."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request

from guanxi.analytics import recommendations, reports
from guanxi.analytics.lifecycle import Stage
from guanxi.analytics.tracking import repeat_purchase_curve
from guanxi.customers import analytics_feed as feed
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import Invalid, NotFound
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render, state_of
from guanxi.web.sections import customer_section

router = APIRouter()
menu.add("analytics", N_("Analytics"), "/analytics", Perm.analytics_read, order=15)


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
def analytics_page(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep, runtime: RuntimeDep):
    zh = _zh(request)
    rfm = reports.rfm_report(session)
    for s in rfm["segments"]:
        s["label"] = s["label_zh"] if zh else s["label_en"]
    labels = {s["segment"]: s["label"] for s in rfm["segments"]}
    moves = [{**m, "from_label": labels.get(m["from"], "—"), "to_label": labels.get(m["to"], "—")}
             for m in rfm["movements"] if m["from"] != m["to"]][:15]
    k = reports.kpi_report(session, runtime.settings, cohort_months=12)
    stages = [{"stage": s.value, "label": s.label_zh if zh else s.label_en,
               "customers": k["customers_per_stage"][s.value]} for s in Stage]
    width = max((len(c["retention"]) for c in k["cohorts"]), default=0)
    segment_chart = {"kind": "bars", "labels": [s["label"] for s in rfm["segments"]],
                     "values": [s["customers"] for s in rfm["segments"]]}
    cohort_chart = {"kind": "heatmap", "rows": [c["cohort"] for c in k["cohorts"]], "columns": list(range(width)),
                    "cells": [[j, i, round(v * 100, 1)] for i, c in enumerate(k["cohorts"])
                              for j, v in enumerate(c["retention"])]}
    at_risk = reports.at_risk_list(session) if actor.can(Perm.customers_write) else None
    return render(request, "analytics/index.html", {
        "rfm": rfm, "moves": moves, "k": k, "stages": stages, "width": width, "at_risk": at_risk, "labels": labels,
        "segment_chart": json.dumps(segment_chart, ensure_ascii=False), "cohort_chart": json.dumps(cohort_chart),
    })


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
