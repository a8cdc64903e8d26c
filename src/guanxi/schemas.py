"""Shared Pydantic bases: strict request models and the problem+json reply."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Request bodies: unknown fields are rejected and nothing is coerced ("12abc", 1.5 → int)."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] = []
    instance: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": title}
    for code, title in [
        (400, "Bad request"), (401, "Not signed in"), (403, "Not allowed"), (404, "Not found"),
        (409, "Conflict"), (413, "Body too large"), (422, "Invalid data"), (423, "Locked"),
    ]
}
