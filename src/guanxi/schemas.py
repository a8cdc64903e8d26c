"""Shared Pydantic bases: strict request models and the problem+json reply."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict


def _iso_timestamp(value: Any) -> Any:
    # Strict models still take ISO 8601 text for times (JSON has no datetime type), nothing else.
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not an ISO 8601 timestamp (e.g. 2026-11-11T10:00:00+08:00)") from None
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_timestamp)]


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


# Ids in paths: bounded so a huge number is a 422, not a driver overflow.
from fastapi import Path  # noqa: E402

IdPath = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]
