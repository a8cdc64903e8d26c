"""Jinja2 rendering: a whole page, or just its fragment when HTMX asks (STYLE §10).

Every template gets the same base context: `_` (gettext), `fmt` (dates, numbers, money),
`locale`, `actor`, `menu`, `csrf_token` and `request`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from guanxi.staff.roles import Actor
from guanxi.web import csrf, menu
from guanxi.web.formatting import Formatter
from guanxi.web.i18n import LOCALE_COOKIE, LOCALE_NAMES, LOCALES, Gettext, choose

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class WebState:
    """Who is looking and in which language; built once per request."""

    locale: str
    t: Gettext
    fmt: Formatter
    actor: Actor | None = None
    member_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_locale(request: Request, own_setting: str | None = None) -> str:
    return choose(cookie=request.cookies.get(LOCALE_COOKIE), own_setting=own_setting,
                  accept_language=request.headers.get("accept-language"),
                  default=request.app.state.runtime.settings.default_locale)


def set_state(request: Request, *, actor: Actor | None = None, member_id: int | None = None,
              own_locale: str | None = None) -> WebState:
    locale = resolve_locale(request, own_locale)
    settings = request.app.state.runtime.settings
    state = WebState(locale=locale, t=Gettext(locale), fmt=Formatter(locale, settings.default_timezone),
                     actor=actor, member_id=member_id)
    request.state.web = state
    return state


def state_of(request: Request) -> WebState:
    return getattr(request.state, "web", None) or set_state(request)


def is_htmx(request: Request) -> bool:
    # A history restore (back button after hx-push-url) needs the whole page, as does a boosted link.
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"
            and headers.get("hx-history-restore-request") != "true")


def base_context(request: Request) -> dict[str, Any]:
    state = state_of(request)
    actor = state.actor
    return {
        "request": request,
        "locale": state.locale,
        "locales": [(code, LOCALE_NAMES[code]) for code in LOCALES],
        "_": state.t.gettext,
        "gettext": state.t.gettext,
        "ngettext": state.t.ngettext,
        "fmt": state.fmt,
        "actor": actor,
        "menu": menu.visible(actor, "main") if actor else [],
        "settings_menu": menu.visible(actor, "settings") if actor else [],
        "csrf_token": csrf.request_token(request),
        "current_path": request.url.path,
        "is_htmx": is_htmx(request),
    }


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           fragment: str | None = None, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render `template`, or only `fragment` for an HTMX request that targets part of the page."""
    ctx = {**base_context(request), **(context or {})}
    name = fragment if fragment and is_htmx(request) else template
    body = env.get_template(name).render(ctx)
    response = HTMLResponse(body, status_code=status, headers=headers)
    # Pages carry personal data: never cached, and a fragment is never served for a full page.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "HX-Request, Cookie, Accept-Language"
    seed = getattr(request.state, "new_csrf_seed", None)
    if seed:
        response.set_cookie(csrf.CSRF_COOKIE, seed, httponly=True, samesite="lax", path="/",
                            secure=request.app.state.runtime.settings.env == "production")
    return response
