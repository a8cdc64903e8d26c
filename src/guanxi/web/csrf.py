"""CSRF protection: a token derived from the browser's session, required on every unsafe request.

The token is an HMAC of the session cookie under the session secret, so it is tied to one
sign-in and needs no storage. Before sign-in a random `guanxi_csrf` cookie stands in for the
session. Pages send it as a hidden `csrf_token` field (works without JavaScript) and HTMX sends
it as the `X-CSRF-Token` header. API writes authenticated by the session cookie (not by a bearer
token) need it too, as the header or a `csrf_token` query parameter.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from guanxi.deps import SESSION_COOKIE
from guanxi.problems import problem

CSRF_COOKIE = "guanxi_csrf"
MEMBER_COOKIE = "guanxi_member"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class CsrfRejected(Exception):
    """An unsafe request without a valid token: answered with the 403 page."""


def token_for(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), b"csrf\x00" + seed.encode(), hashlib.sha256).hexdigest()[:48]


def _seed(cookies: dict[str, str]) -> str | None:
    return cookies.get(SESSION_COOKIE) or cookies.get(MEMBER_COOKIE) or cookies.get(CSRF_COOKIE)


def valid(secret: str, cookies: dict[str, str], sent: str | None) -> bool:
    seed = _seed(cookies)
    return bool(seed and sent) and hmac.compare_digest(token_for(secret, seed), sent)


def request_token(request: Request) -> str:
    """The token for the page being rendered; makes a pre-sign-in seed when there is none yet."""
    seed = _seed(request.cookies)
    if seed is None:
        seed = getattr(request.state, "new_csrf_seed", None) or secrets.token_urlsafe(24)
        request.state.new_csrf_seed = seed  # the renderer sets it as the guanxi_csrf cookie
    return token_for(request.app.state.runtime.secrets.session_secret, seed)


async def check(request: Request) -> None:
    """Router dependency of every web page: unsafe methods need the token (header or form field)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    if not valid(request.app.state.runtime.secrets.session_secret, request.cookies, sent):
        raise CsrfRejected()


class ApiCsrfMiddleware:
    """Cookie-authenticated writes to /api/ come from the UI, so they need the token as well."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] in SAFE_METHODS
                or not scope["path"].startswith("/api/")):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookie = SimpleCookie()
        cookie.load(headers.get("cookie", ""))
        cookies = {k: m.value for k, m in cookie.items()}
        if "authorization" in headers or SESSION_COOKIE not in cookies:
            return await self.app(scope, receive, send)
        sent = headers.get(CSRF_HEADER) or _query_token(scope.get("query_string", b"").decode("latin-1"))
        if not valid(scope["app"].state.runtime.secrets.session_secret, cookies, sent):
            reply = problem(403, "this request came with the session cookie but without its CSRF token "
                                 "(send it as the X-CSRF-Token header)", title="CSRF check failed")
            return await reply(scope, receive, send)
        return await self.app(scope, receive, send)


def _query_token(query: str) -> str | None:
    values = parse_qs(query).get(CSRF_FIELD)
    return values[0] if values else None
