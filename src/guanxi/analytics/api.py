"""Analytics over HTTP: RFM, scores, CLV fit, KPIs, live segments and recommendations.

Aggregates need ``analytics.read``. Figures about one named customer need a role that works
with named customers (``customers.write`` or ``customers.read_pii``): the analyst role sees
aggregates and pseudonymised ids only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from guanxi.analytics import person_hooks as _person_hooks  # noqa: F401  (export, erasure, merge hooks)
from guanxi.analytics import customer_traits, membership, recommendations, reports, segment_export, segment_rules, winback
from guanxi.analytics.recompute import today
from guanxi.analytics.schemas import SegmentCreate, SegmentRule, SegmentSnapshotCreate, WinbackCampaignCreate
from guanxi.deps import AnalyticsReader, CampaignManager, CustomerReader, RuntimeDep, SessionDep
from guanxi.errors import Forbidden, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.schemas import IdPath
from guanxi.staff.roles import Actor, Perm

router = APIRouter(prefix="/api/v1", tags=["analytics"])


def sees_real_ids(actor: Actor) -> bool:
    return actor.can(Perm.customers_write) or actor.can(Perm.customers_read_pii)


def _named_customers_only(actor: Actor) -> None:
    if not sees_real_ids(actor):
        raise Forbidden(f"the {actor.role.value} role sees aggregates and pseudonymised ids only")


def _ids(actor: Actor, runtime, ids: list[int]) -> list[int | str]:
    return list(ids) if sees_real_ids(actor) else [reports.pseudonym(runtime.cipher, i) for i in ids]


@router.get("/analytics/rfm")
def rfm(actor: AnalyticsReader, session: SessionDep,
        month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (default: latest)")] = None
        ) -> dict:
    """Customers per RFM segment in the month's snapshot, and the moves since the month before."""
    return reports.rfm_report(session, month)


@router.get("/analytics/clv")
def clv(actor: AnalyticsReader, session: SessionDep) -> dict:
    """The latest BG/NBD and Gamma-Gamma fit, the CLV distribution and the settings it used."""
    return reports.clv_report(session)


@router.get("/analytics/kpis")
def kpis(actor: AnalyticsReader, session: SessionDep, runtime: RuntimeDep,
         start: Annotated[dt.date | None, Query(alias="from", description="first day (default: a year ago)")] = None,
         end: Annotated[dt.date | None, Query(alias="to", description="last day (default: today)")] = None,
         cohort_months: Annotated[int, Query(ge=1, le=36)] = 12) -> dict:
    """Repeat-purchase rate, AOV, active customers, revenue by month and cohort retention,
    for the range and the range of the same length before it."""
    for name, day in (("from", start), ("to", end)):
        if day is not None and not (dt.date(1990, 1, 1) <= day <= dt.date(2200, 1, 1)):
            raise Invalid(f"`{name}` must be a date between 1990 and 2200",
                          errors=[{"loc": ["query", name], "msg": "out of range"}])
    if start and end and start > end:
        raise Invalid("`from` must not be after `to`", errors=[{"loc": ["query", "from"], "msg": "after `to`"}])
    if start and end and (end - start).days > 3660:
        raise Invalid("at most ten years at a time", errors=[{"loc": ["query", "from"], "msg": "range too long"}])
    return reports.kpi_report(session, runtime.settings, start=start, end=end, cohort_months=cohort_months)


@router.get("/customers/{customer_id}/scores")
def scores(customer_id: IdPath, actor: AnalyticsReader, session: SessionDep) -> dict:
    """One customer's RFM scores and segment, P(alive), expected purchases, CLV, churn risk and stage,
    with the derived traits, prospect value and growth potential (empty until a recompute made them)."""
    _named_customers_only(actor)
    data = reports.customer_scores(session, customer_id)
    try:
        return {**data, **customer_traits.customer_traits(session, data["customer_id"])}
    except NotFound:
        return {**data, **dict.fromkeys(customer_traits.TRAIT_FIELDS), "traits_period": None}


@router.get("/customers/{customer_id}/recommendations")
def customer_recommendations(customer_id: IdPath, actor: CustomerReader, session: SessionDep,
                             limit: Annotated[int, Query(ge=1, le=50)] = 10,
                             category: Annotated[str | None, Query(max_length=200)] = None) -> dict:
    """Top products for the customer; popular ones (of `category`) when they refused personalisation."""
    _named_customers_only(actor)
    return recommendations.for_customer(session, customer_id, limit=limit, category=category)


@router.get("/analytics/at-risk")
def at_risk(actor: AnalyticsReader, session: SessionDep,
            limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> dict:
    """The most valuable customers in the at-risk stage (by CLV): who a win-back should reach first."""
    _named_customers_only(actor)
    return {"items": reports.at_risk_list(session, limit=limit)}


@router.post("/analytics/winback-campaigns", status_code=201)
def start_winback(body: WinbackCampaignCreate, actor: CampaignManager, session: SessionDep,
                  runtime: RuntimeDep) -> dict:
    """A draft care campaign (e-mail, template `winback`, 10% hold-out) for the `limit` most valuable
    at-risk customers; 409 when nobody is at risk. Review and start it under /api/v1/care/campaigns."""
    _named_customers_only(actor)
    row = winback.start_campaign(session, actor, limit=body.limit, today=today(runtime.settings))
    session.commit()
    return {"campaign_id": row.id, "name": row.name, "status": row.status,
            "customer_ids": row.audience["customer_ids"], "control_percent": row.control_percent}


def _segment_reply(row, members: int) -> dict:
    return {"id": row.id, "name": row.name, "kind": row.kind, "snapshot_of": row.snapshot_of, "rule": row.rule,
            "members": members, "created_by": row.created_by, "created_at": row.created_at}


@router.post("/segments/preview")
def preview_segment(body: SegmentRule, actor: AnalyticsReader, session: SessionDep) -> dict:
    """How many customers a rule matches now, without saving it (for a rule builder)."""
    return {"members": reports.count_members(session, segment_rules.parse(body.rule))}


@router.post("/segments", status_code=201)
def create_segment(body: SegmentCreate, actor: AnalyticsReader, session: SessionDep) -> dict:
    """Save a live segment; its members are whoever matches the rule at the time it is read."""
    row = reports.create_segment(session, body.name, body.rule, actor.ref)
    members = reports.count_members(session, segment_rules.parse(row.rule))
    membership.sync_segment(session, row.id, segment_rules.parse(row.rule), cause="created")
    session.commit()
    return _segment_reply(row, members)


@router.get("/segments")
def list_segments(actor: AnalyticsReader, session: SessionDep) -> dict:
    return {"items": [_segment_reply(row, n) for row, n in reports.list_segments(session)]}


@router.get("/segments/{segment_id}")
def get_segment(segment_id: IdPath, actor: AnalyticsReader, session: SessionDep, runtime: RuntimeDep,
                limit: Annotated[int, Query(ge=0, le=1000)] = 100) -> dict:
    """The segment with its member count and the first `limit` members (pseudonymised for analysts)."""
    row = reports.get_segment(session, segment_id)
    rule = reports.members_of(row)
    ids = reports.member_ids(session, rule, limit=limit)
    return {**_segment_reply(row, reports.count_members(session, rule)), "member_ids": _ids(actor, runtime, ids),
            "pseudonymised": not sees_real_ids(actor)}


@router.get("/segments/{segment_id}/members.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "one row per member"}})
def export_segment(segment_id: IdPath, actor: AnalyticsReader, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The members with their scores as CSV; the id column is pseudonymised for analysts."""
    row = reports.get_segment(session, segment_id)
    rule = reports.members_of(row)
    named = sees_real_ids(actor)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["customer_id" if named else "pseudonym", *reports.EXPORT_FIELDS])
    for cid, *values in reports.member_rows(session, rule):
        writer.writerow([cid if named else reports.pseudonym(runtime.cipher, cid),
                         *("" if v is None else v for v in values)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="segment-{segment_id}.csv"', "Cache-Control": "no-store"})


@router.post("/segments/{segment_id}/snapshot", status_code=201)
def snapshot_segment(segment_id: IdPath, body: SegmentSnapshotCreate, actor: AnalyticsReader,
                     session: SessionDep) -> dict:
    """Freeze a dynamic segment's members now as a static segment named `name` (409 if the name is taken)."""
    row = membership.snapshot(session, segment_id, body.name, actor.ref)
    members = reports.count_members(session, reports.members_of(row))
    session.commit()
    return _segment_reply(row, members)


@router.get("/segments/{segment_id}/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "one row per member"}})
def export_segment_csv(segment_id: IdPath, actor: AnalyticsReader, session: SessionDep,
                       runtime: RuntimeDep) -> Response:
    """Members as CSV: id, name, e-mail, phone for roles that read customers (in full with `customers.read_pii`),
    a pseudonym (keyed hash) and figures only for the analyst. Audited."""
    row = reports.get_segment(session, segment_id)
    named = sees_real_ids(actor)
    reveal = actor.can(Perm.customers_read_pii)
    text, count = segment_export.to_csv(segment_export.rows(session, runtime.cipher, row, named=named,
                                                            reveal=reveal))
    details = {"rows": count, "pseudonymised": not named, "revealed": named and reveal}
    if named:
        audit.record_pii_read(session, actor, "segment", segment_id, kind=audit.AuditKind.pii_exported,
                              threshold_per_hour=runtime.settings.pii_alert_per_hour, **details)
    else:
        audit.record(session, "segment_exported", actor, subject_type="segment", subject_id=segment_id, **details)
    session.commit()
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="segment-{segment_id}-export.csv"', "Cache-Control": "no-store"})


from guanxi.analytics import funnel_api  # noqa: E402  (the funnel and GA4 import, under the same prefix)

router.include_router(funnel_api.router)
from guanxi.analytics import report_api  # noqa: E402  (scheduled KPI reports, under the same prefix)

router.include_router(report_api.router)
