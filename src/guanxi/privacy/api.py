"""The audit log and admin alerts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from guanxi.deps import AuditReader, SessionDep
from guanxi.pagination import MAX_LIMIT, decode_cursor, next_cursor
from guanxi.privacy import audit
from guanxi.privacy.models import AdminAlert
from guanxi.privacy.schemas import AlertPublic, AlertsPublic, AuditEntryPublic, AuditPage

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def list_audit(
    actor: AuditReader,
    session: SessionDep,
    by: Annotated[str | None, Query(max_length=200, description="actor, e.g. user:li@shop.cn or token:erp")] = None,
    kind: Annotated[str | None, Query(max_length=60)] = None,
    subject_type: Annotated[str | None, Query(max_length=40)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> AuditPage:
    """Who did what, when, and whose data it was — newest first."""
    rows = audit.query(session, actor=by, kind=kind, subject_type=subject_type, subject_id=subject_id,
                       since=since, until=until, after_id=decode_cursor(cursor), limit=limit)
    return AuditPage(items=[AuditEntryPublic.model_validate(r) for r in rows], next_cursor=next_cursor(rows, limit))


@router.get("/alerts", response_model=AlertsPublic)
def list_alerts(actor: AuditReader, session: SessionDep) -> AlertsPublic:
    rows = list(session.scalars(select(AdminAlert).order_by(AdminAlert.id.desc()).limit(200)))
    return AlertsPublic(items=[AlertPublic.model_validate(r) for r in rows], count=len(rows))
