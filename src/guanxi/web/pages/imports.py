"""Imports: upload a CSV of customers or orders, watch the worker run it, fetch the error report.

The customers domain's imports API does the work (it saves the upload and queues the task);
this page calls the same functions and shows their answer. Progress is polled with HTMX.
"""

from __future__ import annotations

import importlib.util
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import is_htmx, render

router = APIRouter()
menu.add("imports", N_("Imports"), "/imports", Perm.imports_run, order=40)
Runner = page_for(Perm.imports_run)

FORMATS = ("guanxi", "shopify", "cdnow")
KINDS = ("customers", "orders")


def imports_api():
    """The customers domain's imports API module, or None on a server without it."""
    if importlib.util.find_spec("guanxi.customers.imports_api") is None:
        return None
    from guanxi.customers import imports_api as module

    return module


def _form(request: Request, **extra):
    return render(request, "imports/index.html", {
        "formats": FORMATS, "kinds": KINDS, "available": imports_api() is not None, **extra,
    }, status=422 if extra.get("error") else 200)


@router.get("/imports")
def imports(request: Request, actor: Runner):
    return _form(request)


@router.post("/imports")
def upload(request: Request, actor: Runner, session: SessionDep, runtime: RuntimeDep,
           file: Annotated[UploadFile, File()], kind: Annotated[str, Form(max_length=20)] = "customers",
           format: Annotated[str, Form(max_length=20)] = "guanxi", dry_run: Annotated[bool, Form()] = False):
    api = imports_api()
    if api is None:
        return _form(request)
    try:
        job = api.create_import(actor=actor, session=session, runtime=runtime, file=file, kind=kind,
                                format=format, dry_run=dry_run)
    except GuanxiError as exc:
        return _form(request, error=exc.detail, kind=kind, format=format)
    return RedirectResponse(f"/imports/{job.id}", status_code=303)


@router.get("/imports/{import_id}")
def import_status(import_id: int, request: Request, actor: Runner, session: SessionDep):
    api = imports_api()
    if api is None:
        return RedirectResponse("/imports", status_code=303)
    job = api.get_import(import_id=import_id, actor=actor, session=session)
    return render(request, "imports/status.html", {"job": job, "polling": job.status in ("queued", "running")},
                  fragment="imports/_status.html" if is_htmx(request) else None)
