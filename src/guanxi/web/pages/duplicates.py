"""Duplicates: the review queue side by side; merge (keeping either profile) or dismiss; undo a merge.

The customers domain decides (dedup, merging); this page shows its queue masked — a reviewer
compares masked values and opens the 360 page to reveal one, which is audited there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import is_htmx, render

try:
    from guanxi.customers import dedup, merging
except ImportError:  # a server without the customers domain's dedup service: no page, no menu entry
    dedup = merging = None

router = APIRouter()
if dedup is not None:
    menu.add("duplicates", N_("Duplicates"), "/duplicates", Perm.customers_merge, order=30)
Merger = page_for(Perm.customers_merge)
PAGE_SIZE = 20


def _queue(request: Request, session, runtime, **extra):
    rows = dedup.review_queue(session, limit=PAGE_SIZE)
    pairs = [(r, dedup.side(session, runtime.cipher, r.a_id, reveal=False),
              dedup.side(session, runtime.cipher, r.b_id, reveal=False)) for r in rows]
    return render(request, "duplicates/index.html", {"pairs": pairs, **extra}, fragment="duplicates/_queue.html",
                  status=extra.pop("status", 200))


@router.get("/duplicates")
def duplicates(request: Request, actor: Merger, session: SessionDep, runtime: RuntimeDep):
    merged = request.query_params.get("merged")
    return _queue(request, session, runtime, merged_id=int(merged) if merged and merged.isdigit() else None)


@router.post("/duplicates/{candidate_id}/merge")
def merge(candidate_id: int, request: Request, actor: Merger, session: SessionDep, runtime: RuntimeDep,
          survivor_id: Annotated[int | None, Form()] = None):
    try:
        record = dedup.merge_candidate(session, candidate_id, actor, survivor_id=survivor_id)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _queue(request, session, runtime, error=exc.detail, status=exc.status)
    if not is_htmx(request):
        return RedirectResponse(f"/duplicates?merged={record.id}", status_code=303)
    return _queue(request, session, runtime, merged_id=record.id)


@router.post("/duplicates/{candidate_id}/dismiss")
def dismiss(candidate_id: int, request: Request, actor: Merger, session: SessionDep, runtime: RuntimeDep):
    try:
        dedup.dismiss_candidate(session, candidate_id, actor)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _queue(request, session, runtime, error=exc.detail, status=exc.status)
    if not is_htmx(request):
        return RedirectResponse("/duplicates", status_code=303)
    return _queue(request, session, runtime, dismissed=True)


@router.post("/merges/{merge_id}/undo")
def undo(merge_id: int, request: Request, actor: Merger, session: SessionDep, runtime: RuntimeDep):
    try:
        merging.unmerge(session, merge_id, actor)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _queue(request, session, runtime, error=exc.detail, status=exc.status)
    if not is_htmx(request):
        return RedirectResponse("/duplicates", status_code=303)
    return _queue(request, session, runtime, undone=True)


if dedup is None:
    router = APIRouter()  # nothing to review without the dedup service: the routes above are not mounted
