"""Request and reply bodies of the service desk's editable lists and configurable surveys."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from guanxi.schemas import PublicModel, StrictModel

Key = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Body = Annotated[str, Field(min_length=1, max_length=5000)]


class RootCauseCreate(StrictModel):
    code: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")]
    name_en: Name
    name_zh: Name


class RootCauseUpdate(StrictModel):
    name_en: Name | None = None
    name_zh: Name | None = None
    active: bool | None = None


class RootCausePublic(PublicModel):
    code: str
    name_en: str
    name_zh: str
    active: bool


class CannedCreate(StrictModel):
    key: Key
    title_en: Name
    title_zh: Name
    body_en: Body
    body_zh: Body
    status: Literal["open", "waiting", "on_hold"] | None = None
    tag: Key | None = None


class CannedUpdate(StrictModel):
    title_en: Name | None = None
    title_zh: Name | None = None
    body_en: Body | None = None
    body_zh: Body | None = None
    status: Literal["open", "waiting", "on_hold"] | None = None
    tag: Key | None = None
    active: bool | None = None


class CannedPublic(PublicModel):
    key: str
    title_en: str
    title_zh: str
    body_en: str
    body_zh: str
    status: str | None
    tag: str | None
    active: bool


class OptionIn(StrictModel):
    value: Key
    en: Name
    zh: Name


class QuestionIn(StrictModel):
    key: Key
    kind: Literal["rating", "nps", "choice", "text"]
    text_en: Annotated[str, Field(min_length=1, max_length=300)]
    text_zh: Annotated[str, Field(min_length=1, max_length=300)]
    required: bool = True
    options: list[OptionIn] = Field(default_factory=list, max_length=20)


class DefinitionCreate(StrictModel):
    code: Key
    title_en: Annotated[str, Field(min_length=1, max_length=200)]
    title_zh: Annotated[str, Field(min_length=1, max_length=200)]
    questions: list[QuestionIn] = Field(min_length=1, max_length=20)


class DefinitionUpdate(StrictModel):
    title_en: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    title_zh: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    questions: list[QuestionIn] | None = Field(default=None, min_length=1, max_length=20)
    active: bool | None = None


class QuestionPublic(PublicModel):
    key: str
    kind: str
    text_en: str
    text_zh: str
    required: bool
    options: list[dict]


class DefinitionPublic(PublicModel):
    id: int
    code: str
    title_en: str
    title_zh: str
    questions: list[QuestionPublic]
    active: bool
    created_at: dt.datetime


class DefinitionSend(StrictModel):
    customer_id: Annotated[int, Field(ge=1, le=2**62)]


class SurveyResponses(StrictModel):
    answers: dict[Key, int | Annotated[str, Field(max_length=2000)]] = Field(max_length=20)


class SurveyResponded(PublicModel):
    id: int
    kind: str
    answered: int
    follow_up_ticket_id: int | None


class RateRow(PublicModel):
    key: str
    orders: int
    complaints: int
    complaint_rate: float
    lines: int
    returns: int
    return_rate: float
    reviews: int
    negative_reviews: int
    negative_review_rate: float | None = Field(description="negative reviews / reviews; null without reviews")


class RatesReport(PublicModel):
    since: dt.datetime
    until: dt.datetime
    orders: int
    lines: int
    complaints: int
    reviews: int
    negative_reviews: int
    product: list[RateRow]
    supplier: list[RateRow]
    channel: list[RateRow]
    segment: list[RateRow]
    tier: list[RateRow]
