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
from guanxi.analytics.api import router as analytics_router
from guanxi.customers.duplicates_api import router as duplicates_router
from guanxi.customers.imports_api import router as imports_router
from guanxi.customers.shipments_api import router as shipments_router
from guanxi.customers.webhooks_api import router as webhooks_router
from guanxi.loyalty.api import router as loyalty_router
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
    return create_app(settings)
