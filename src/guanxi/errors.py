"""Errors the domains raise; the API maps them to problem+json, the CLI to one line."""

from __future__ import annotations


class GuanxiError(Exception):
    """A user-facing error: the message is shown as is."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class ConfigError(GuanxiError):
    title = "Configuration error"


class NotFound(GuanxiError):
    status = 404
    title = "Not found"


class Conflict(GuanxiError):
    status = 409
    title = "Conflict"


class Invalid(GuanxiError):
    status = 422
    title = "Invalid data"


class Forbidden(GuanxiError):
    status = 403
    title = "Forbidden"


class Unauthorized(GuanxiError):
    status = 401
    title = "Unauthorized"


class Locked(GuanxiError):
    status = 423
    title = "Account locked"
