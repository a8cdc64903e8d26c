"""The admin console and the member page: server-rendered Jinja2 + HTMX (see docs/WEB.md).

`install(app)` mounts every page module's router, the static files, the error pages and the
CSRF check. To add a page: a module in PAGE_MODULES with a `router`, a template folder, and
one `menu.add(...)` line.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from guanxi.errors import GuanxiError
from guanxi.web import csrf
from guanxi.web.auth import PageForbidden, SignInRequired
from guanxi.web.rendering import render

STATIC = Path(__file__).parent / "static"

PAGE_MODULES = [
    "guanxi.web.pages.signin",
    "guanxi.web.pages.dashboard",
    "guanxi.web.pages.social",
    "guanxi.web.pages.social_community",
    "guanxi.web.pages.analytics",
    "guanxi.web.pages.analytics_funnel",
    "guanxi.web.pages.analytics_traits",
    "guanxi.web.pages.analytics_segments",
    "guanxi.web.pages.analytics_reports",
    "guanxi.web.pages.customers",
    "guanxi.web.pages.customer360",
    "guanxi.web.pages.duplicates",
    "guanxi.web.pages.service_loop",  # incidents, actions, quality checks
    "guanxi.web.pages.care",
    "guanxi.web.pages.care_journeys",
    "guanxi.web.pages.imports",
    "guanxi.web.pages.settings",
    "guanxi.web.pages.audit",
    "guanxi.web.pages.member_signin",
    "guanxi.web.pages.member",
    "guanxi.web.pages.loyalty",
    "guanxi.web.pages.loyalty_admin",  # rules, rewards, tiers, plans, reports (one menu entry)
    "guanxi.web.pages.loyalty_partners",
    "guanxi.web.pages.loyalty_activities",  # member events, door check-in, product trials
    "guanxi.web.pages.service",
    "guanxi.web.pages.service_settings",
    "guanxi.web.pages.conversations",
    "guanxi.web.pages.help",
]


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/static/"))


def install(app: FastAPI) -> None:
    pages = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.check)])
    for name in PAGE_MODULES:
        pages.include_router(importlib.import_module(name).router)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(csrf.ApiCsrfMiddleware)
    _install_error_pages(app)


def _install_error_pages(app: FastAPI) -> None:
    api_handler = app.exception_handlers.get(GuanxiError)
    http_handler = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "errors/403.html", {"perm": exc.perm.value}, status=403)

    @app.exception_handler(csrf.CsrfRejected)
    async def _csrf(request: Request, exc: csrf.CsrfRejected) -> Response:
        return render(request, "errors/403.html", {"csrf": True}, status=403)

    @app.exception_handler(GuanxiError)
    async def _domain(request: Request, exc: GuanxiError) -> Response:
        if not _is_page(request) and api_handler is not None:
            return await api_handler(request, exc)
        return render(request, "errors/error.html", {"status": exc.status, "detail": exc.detail},
                      status=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request) and http_handler is not None:
            return await http_handler(request, exc)
        return render(request, "errors/error.html", {"status": exc.status_code, "detail": None},
                      status=exc.status_code)
