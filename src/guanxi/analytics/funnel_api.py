"""The funnel and the GA4 event import over HTTP (included by ``analytics.api``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from guanxi.analytics.funnel_report import default_range, funnel_report
from guanxi.analytics.ga4_import import import_ga4
from guanxi.deps import AnalyticsReader, ImportRunner, RuntimeDep, SessionDep
from guanxi.errors import Invalid
from guanxi.schemas import StrictModel

router = APIRouter()
MAX_CONTENT = 4_000_000  # characters, inside the 5 MB body limit; bigger exports go through `guanxi import events`


class Ga4Import(StrictModel):
    format: Literal["jsonl", "csv"] = Field(description="JSON lines or CSV with a header row")
    content: Annotated[str, Field(min_length=1, max_length=MAX_CONTENT,
                                  description="the export: event_name, user_pseudo_id, event_timestamp per row")]
    dry_run: bool = False


def check_range(start: dt.date | None, end: dt.date | None) -> None:
    for name, day in (("from", start), ("to", end)):
        if day is not None and not (dt.date(1990, 1, 1) <= day <= dt.date(2200, 1, 1)):
            raise Invalid(f"`{name}` must be a date between 1990 and 2200",
                          errors=[{"loc": ["query", name], "msg": "out of range"}])
    if start and end and start > end:
        raise Invalid("`from` must not be after `to`", errors=[{"loc": ["query", "from"], "msg": "after `to`"}])
    if start and end and (end - start).days > 3660:
        raise Invalid("at most ten years at a time", errors=[{"loc": ["query", "from"], "msg": "range too long"}])


@router.get("/analytics/funnel")
def get_funnel(actor: AnalyticsReader, session: SessionDep, runtime: RuntimeDep,
               start: Annotated[dt.date | None, Query(alias="from", description="first day (default: 30 days ago)")] = None,
               end: Annotated[dt.date | None, Query(alias="to", description="last day (default: today)")] = None) -> dict:
    """View → cart → order: distinct customers per step, step conversion, overall and per channel."""
    check_range(start, end)
    start, end = default_range(runtime.settings, start, end)
    check_range(start, end)
    return funnel_report(session, runtime.settings, start, end)


@router.post("/analytics/events/ga4")
def import_ga4_events(body: Ga4Import, actor: ImportRunner, session: SessionDep, runtime: RuntimeDep) -> dict:
    """Store a GA4 export's page_view, view_item, add_to_cart, begin_checkout and purchase events;
    idempotent (a second import of the same rows stores nothing); bad rows come back with line numbers."""
    report = import_ga4(session, runtime.cipher, body.content, body.format, dry_run=body.dry_run)
    if report.rows == 0:
        raise Invalid("the content has no data rows", errors=[{"loc": ["body", "content"], "msg": "no rows"}])
    if body.dry_run:
        session.rollback()
    else:
        session.commit()
    return {"dry_run": body.dry_run, **report.as_dict()}
