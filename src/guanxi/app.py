"""FastAPI assembly: every domain's router, error handling and middleware."""

from __future__ import annotations

from fastapi import FastAPI

from guanxi import __version__, problems
from guanxi.config import Settings, get_settings
from guanxi.middleware import BodyLimitMiddleware, RequestContextMiddleware
from guanxi.customers import timeline as _customer_timeline  # noqa: F401  (registers timeline sources)
from guanxi.customers import privacy_hooks as _customer_privacy  # noqa: F401  (registers exporter and eraser)
from guanxi.customers.api import router as customers_router
from guanxi.care.api import router as care_router
from guanxi.care.journey_api import router as care_journeys_router
from guanxi.care.tracking_api import router as care_tracking_router
from guanxi.analytics.api import router as analytics_router
from guanxi.analytics.site_tracking_api import router as site_tracking_router
from guanxi.customers.duplicates_api import router as duplicates_router
from guanxi.customers.imports_api import router as imports_router
from guanxi.customers.shipments_api import router as shipments_router
from guanxi.customers.webhooks_api import router as webhooks_router
from guanxi.loyalty.api import router as loyalty_router
from guanxi.loyalty.partners_api import router as loyalty_partners_router
from guanxi.loyalty.activities_api import router as loyalty_activities_router
from guanxi.privacy.api import router as privacy_router
from guanxi.privacy.requests_api import router as privacy_requests_router
from guanxi.runtime import Runtime, build_runtime
from guanxi.service.api import router as service_router
from guanxi.social.api import router as social_router
from guanxi.social.community_api import router as social_community_router
from guanxi.conversations.api import router as conversations_router
from guanxi.schemas import PROBLEM_RESPONSES
from guanxi.staff.api import router as staff_router
from guanxi.system.api import router as system_router
from guanxi.web import install as install_web

API_ROUTERS = [staff_router, customers_router, analytics_router, privacy_router, privacy_requests_router, webhooks_router, shipments_router, imports_router, duplicates_router, loyalty_router, service_router, care_router, social_router, conversations_router]
API_ROUTERS.append(social_community_router)  # live sessions, communities, creators
API_ROUTERS += [care_journeys_router, care_tracking_router]  # care journeys; /c/ tracked links and open pixel
API_ROUTERS.append(loyalty_partners_router)  # coalition partners: staff side and the partners' own API
API_ROUTERS.append(site_tracking_router)  # /t/guanxi.js, the site tracking snippet, and its public intake /t/events
API_ROUTERS.append(loyalty_activities_router)  # member events and product trials


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings or get_settings())
    runtime.check_startup()
    app = FastAPI(
        title="Guanxi",
        version=__version__,
        description="Customer relationship, customer care and loyalty for online shops.",
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    app.state.runtime = runtime
    problems.install(app)
    app.include_router(system_router)
    for router in API_ROUTERS:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    # Outermost last: the request id wraps everything, so even a 413 carries X-Request-Id.
    app.add_middleware(BodyLimitMiddleware, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    install_web(app)  # admin console and member pages (guanxi.web)
    return app


def serve_app() -> FastAPI:
    """The factory `guanxi serve` hands to uvicorn (each worker process calls it)."""
    from guanxi.logs import setup_logging

    settings = get_settings()
    setup_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    warm_routes(app)
    return app


def warm_routes(app: FastAPI) -> int:
    """Route one request for a path nothing serves, straight into the router (no middleware, no log line).

    FastAPI builds each route's dependency and validation state lazily, on the first request that walks
    past it: some 200 routes cost about 0.5 s of CPU, which the first real request after start would
    otherwise wait for (and every request queued behind it: the first live-chat replies after a restart).
    Runs in its own thread and loop, as uvicorn may call the factory inside its own loop. Returns the status."""
    import asyncio
    import threading

    from starlette.exceptions import HTTPException

    status: list[int] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/__guanxi_warm_up__", "raw_path": b"/__guanxi_warm_up__",
             "root_path": "", "query_string": b"", "headers": [], "client": ("127.0.0.1", 0),
             "server": ("127.0.0.1", 0), "state": {}, "app": app}
    async def walk():
        try:
            await app.router(scope, receive, send)
        except HTTPException as exc:   # the router leaves "not found" to the exception middleware it skipped
            status.append(exc.status_code)

    thread = threading.Thread(target=lambda: asyncio.run(walk()), name="guanxi-warm-up")
    thread.start()
    thread.join()
    return status[0] if status else 0
