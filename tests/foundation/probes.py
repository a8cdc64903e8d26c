"""Routes mounted only in tests: the API conventions need a body with numbers, and a route that breaks."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from guanxi.schemas import StrictModel

router = APIRouter(prefix="/api/v1/_probe")


class ProbeLine(StrictModel):
    sku: str = Field(min_length=1)
    quantity: int = Field(ge=1)


class ProbeCreate(StrictModel):
    quantity: int
    price: float = 0.0
    paid: bool = False
    lines: list[ProbeLine] = []


@router.post("/items", status_code=201)
def create_item(body: ProbeCreate) -> dict:
    return body.model_dump()


@router.get("/boom")
def boom() -> dict:
    raise RuntimeError("lookup failed for li.na@example.com at +8613800138000")
