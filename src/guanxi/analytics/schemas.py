"""Request models of the analytics API (strict); replies are plain dicts documented by example."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from guanxi.schemas import StrictModel


class SegmentRule(StrictModel):
    rule: dict[str, Any] = Field(description='e.g. {"all": [{"field": "segment", "op": "in", "value": ["champions"]},'
                                             ' {"field": "clv", "op": ">=", "value": 100000}]}')


class SegmentCreate(SegmentRule):
    name: Annotated[str, Field(min_length=1, max_length=100)]


class SegmentSnapshotCreate(StrictModel):
    name: Annotated[str, Field(min_length=1, max_length=100, description="name of the new static segment")]


class WinbackCampaignCreate(StrictModel):
    limit: Annotated[int, Field(ge=1, le=1000, description="how many of the most valuable at-risk customers")] = 20
