"""The tracking snippet and its public intake: GET /t/guanxi.js and POST /t/events (no staff token).

The snippet runs on the shop's own pages and posts with `navigator.sendBeacon` as text/plain, a
"simple" cross-origin request that needs no preflight; JSON bodies (fetch) are accepted too and
their preflight is answered. Only origins in GUANXI_TRACKING_ORIGINS (and Guanxi's own) may
post: another origin gets 403, and CORS headers are sent back to allowed origins only. Limits:
GUANXI_TRACKING_BODY_BYTES per request, 20 events per request, and sliding windows per site key
and per client address (429 with Retry-After). Every error is problem+json with CORS headers, so
the snippet (or a developer's console) can read why.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field, ValidationError
from starlette.concurrency import run_in_threadpool

from guanxi.analytics import site_tracking
from guanxi.analytics.site_tracking import SiteEvent
from guanxi.config import Settings
from guanxi.conversations.ratelimit import SlidingWindow
from guanxi.db import transaction, utcnow
from guanxi.deps import RuntimeDep
from guanxi.problems import problem
from guanxi.schemas import StrictModel

router = APIRouter(prefix="/t", include_in_schema=False)
SNIPPET = Path(__file__).resolve().parents[1] / "web/static/js/guanxi-track.js"
MAX_EVENTS = 20
WINDOW_SECONDS = 60.0
Token = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class SiteEventIn(StrictModel):
    id: Token
    name: Literal["page_view", "view_item", "add_to_cart", "purchase"]
    path: Annotated[str, Field(max_length=500, pattern=r"^/")] | None = None
    item: Text | None = None
    order: Text | None = None
    value_minor: Annotated[int, Field(ge=0, le=10**12)] | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None


class SiteBatch(StrictModel):
    site: Annotated[str, Field(min_length=1, max_length=64)]
    visitor: Token
    customer: Text | None = None
    events: Annotated[list[SiteEventIn], Field(min_length=1, max_length=MAX_EVENTS)]


def allowed_origins(request: Request, settings: Settings) -> set[str]:
    own = site_tracking.origin_of(str(request.base_url))
    return {own, *(site_tracking.origin_of(o) for o in settings.tracking_origins)}


def _cors(origin: str | None) -> dict[str, str]:
    if origin is None:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600", "Vary": "Origin"}


def _window(request: Request, name: str, per_minute: int) -> SlidingWindow:
    # One set of windows per server process, kept on the app's state (as the live chat does).
    limits = request.app.state.__dict__.setdefault("site_tracking_limits", {})
    window = limits.get(name)
    if window is None or window.limit != per_minute:
        window = limits[name] = SlidingWindow(per_minute, WINDOW_SECONDS)
    return window


def _origin_check(request: Request, settings: Settings) -> tuple[str | None, JSONResponse | None]:
    """(the origin to echo in CORS headers, or a 403 for an origin that may not post)."""
    origin = request.headers.get("origin")
    if origin is None:
        return None, None  # not a browser's cross-origin request (curl, a server): nothing to allow
    try:
        normalised = site_tracking.origin_of(origin)
    except ValueError:
        normalised = None
    if normalised is None or normalised not in allowed_origins(request, settings):
        return None, problem(403, f"origin {origin[:100]!r} may not send events: add it to GUANXI_TRACKING_ORIGINS",
                             title="Forbidden", headers={"Vary": "Origin"})
    return origin, None


@router.get("/guanxi.js")
def snippet() -> Response:
    """The tracking snippet, at a stable address the shop's pages load."""
    return Response(SNIPPET.read_bytes(), media_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.options("/events")
def preflight(request: Request, runtime: RuntimeDep) -> Response:
    origin, refused = _origin_check(request, runtime.settings)
    return refused or Response(status_code=204, headers=_cors(origin))


@router.post("/events")
async def intake(request: Request, runtime: RuntimeDep) -> Response:
    """Store a visitor's page_view / view_item / add_to_cart / purchase events; 202 with what was new."""
    settings = runtime.settings
    origin, refused = _origin_check(request, settings)
    if refused:
        return refused
    headers = _cors(origin)

    def fail(status: int, detail: str, errors: list | None = None, extra: dict | None = None) -> JSONResponse:
        return problem(status, detail, errors=errors, headers=headers | (extra or {}))

    client = request.client.host if request.client else "?"
    now = time.monotonic()
    if not _window(request, "address", settings.tracking_address_per_minute).allow(client, now):
        return fail(429, "too many events from this address; wait a minute",
                    extra={"Retry-After": str(int(WINDOW_SECONDS))})
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.tracking_body_bytes:
            return fail(413, f"at most {settings.tracking_body_bytes} bytes per request: send fewer events at a time")
    try:
        batch = SiteBatch.model_validate(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return fail(400, f"the body must be JSON: {exc}")
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors(include_url=False)]
        where = ".".join(str(p) for p in errors[0]["loc"])
        return fail(422, f"{where}: {errors[0]['msg']}", errors=errors)
    if not site_tracking.key_matches(runtime.secrets.session_secret, batch.site):
        return fail(403, "unknown site key: copy the snippet again from the funnel page",
                    errors=[{"loc": ["site"], "msg": "unknown site key"}])
    if not _window(request, "site", settings.tracking_site_per_minute).allow(batch.site, now):
        return fail(429, "too many events for this site key; wait a minute",
                    extra={"Retry-After": str(int(WINDOW_SECONDS))})

    events = [SiteEvent(**e.model_dump()) for e in batch.events]

    def store() -> tuple[int, int]:
        with transaction(runtime.factory) as session:
            return site_tracking.record_site_events(session, runtime.cipher, batch.visitor, batch.customer,
                                                    events, utcnow())

    stored, known = await run_in_threadpool(store)
    return JSONResponse({"stored": stored, "known": known}, status_code=202, headers=headers)

