"""ASGI middleware: body size limit, request id + access log, and auditing of API writes."""

from __future__ import annotations

import logging
import time
import uuid

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guanxi.db import transaction
from guanxi.logs import request_id
from guanxi.privacy import audit
from guanxi.problems import problem

log = logging.getLogger("guanxi.http")

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyTooLarge(HTTPException):
    """Raised from `receive`: an HTTPException, so FastAPI's body parsing passes it on as a 413."""

    def __init__(self, limit: int):
        super().__init__(413, _too_large_detail(limit))


def _too_large_detail(limit: int) -> str:
    return f"the request body is larger than {limit // (1024 * 1024)} MB; split it into smaller batches"


class BodyLimitMiddleware:
    """Refuse request bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.max_bytes
        too_large = problem(413, _too_large_detail(limit))
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return await too_large(scope, receive, send)
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await too_large(scope, receive, send)


class RequestContextMiddleware:
    """Give each request an id, log it (never its body), and audit every API write."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 40 and incoming.isprintable() else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        status = 500
        started = False
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except HTTPException:  # e.g. BodyTooLarge from outside a route: the outer layer answers it
            raise
        except Exception:
            # Answered here rather than by Starlette's outer error handler, so that the log line
            # and the reply both carry the request id the reply's detail promises.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            await problem(500, "an unexpected error occurred; it has been logged with the request id",
                          title="Internal Server Error")(scope, receive, send_with_id)
        finally:
            method, path = scope["method"], scope["path"]
            ms = round((time.perf_counter() - start) * 1000, 1)
            log.info("%s %s %s", method, path, status,
                     extra={"method": method, "path": path, "status": status, "duration_ms": ms})
            actor = scope.get("state", {}).get("actor")
            if method in WRITE_METHODS and path.startswith("/api/") and actor is not None:
                await run_in_threadpool(self._audit_write, scope, actor, method, path, status)
            request_id.reset(token)

    @staticmethod
    def _audit_write(scope: Scope, actor, method: str, path: str, status: int) -> None:
        runtime = scope["app"].state.runtime
        params = {k: str(v) for k, v in (scope.get("path_params") or {}).items()}
        subject_type = subject_id = None
        if "customer_id" in params:
            subject_type, subject_id = "customer", params["customer_id"]
        try:
            with transaction(runtime.factory) as session:
                audit.record(session, audit.AuditKind.api_write, actor, subject_type=subject_type,
                             subject_id=subject_id, method=method, path=path, status=status, params=params)
        except Exception:
            log.exception("could not write the audit row for %s %s", method, path)
