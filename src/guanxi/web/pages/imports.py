"""Imports: upload a CSV of customers or orders; the import runs as a background task.

The upload goes to the imports API (POST /api/v1/imports), which queues the task and reports
its progress; this page is the form for it.
"""

from __future__ import annotations

import importlib.util

from fastapi import APIRouter, Request

from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render

router = APIRouter()
menu.add("imports", N_("Imports"), "/imports", Perm.imports_run, order=40)

FORMATS = ("guanxi", "shopify", "cdnow")
KINDS = ("customers", "orders")


def imports_api_available() -> bool:
    return importlib.util.find_spec("guanxi.customers.imports_api") is not None


@router.get("/imports")
def imports(request: Request, actor: page_for(Perm.imports_run)):
    return render(request, "imports/index.html", {
        "formats": FORMATS, "kinds": KINDS, "available": imports_api_available(),
    })
