"""Settings → audit log: who did what, when, and whose data it was; newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from guanxi.deps import SessionDep
from guanxi.pagination import decode_cursor, encode_cursor
from guanxi.privacy import audit
from guanxi.privacy.audit import AuditKind
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render

router = APIRouter()
menu.add("audit", N_("Audit log"), "/settings/audit", Perm.audit_read, group="settings", order=30)

PAGE_SIZE = 50
Text = Annotated[str, Query(max_length=200)]


@router.get("/settings/audit")
def audit_log(request: Request, actor: page_for(Perm.audit_read), session: SessionDep, by: Text = "",
              kind: Text = "", subject_type: Text = "", subject_id: Text = "", cursor: Text = ""):
    rows = audit.query(session, actor=by.strip() or None, kind=kind or None, subject_type=subject_type or None,
                       subject_id=subject_id.strip() or None, after_id=decode_cursor(cursor or None),
                       limit=PAGE_SIZE)
    filters = {"by": by, "kind": kind, "subject_type": subject_type, "subject_id": subject_id}
    return render(request, "settings/audit.html", {
        "rows": rows, "kinds": [k.value for k in AuditKind], "filters": filters,
        "next_cursor": encode_cursor(rows[-1].id) if len(rows) == PAGE_SIZE else None,
    }, fragment="settings/_audit.html")
