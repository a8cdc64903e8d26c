"""Configurable multi-question surveys: a definition holds questions of four kinds with zh-CN and
en texts; answering checks each answer against its question (surveys.answer_questions)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.service.models import SurveyDefinition

KINDS = ("rating", "nps", "choice", "text")
RANGES = {"rating": (1, 5), "nps": (0, 10)}
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS = 20
MAX_TEXT = 2000


def _fail(i: int, msg: str):
    raise Invalid(f"question {i + 1}: {msg}", errors=[{"loc": ["body", "questions", i], "msg": msg}])


def check(questions: list[dict]) -> list[dict]:
    """The questions as stored: keys unique, choices only (and always) on choice questions."""
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise Invalid(f"a survey has 1 to {MAX_QUESTIONS} questions")
    seen, out = set(), []
    for i, q in enumerate(questions):
        key, kind = q.get("key") or "", q.get("kind")
        if not KEY.match(key):
            _fail(i, "the key is 1 to 40 lower-case letters, digits or _, starting with a letter")
        if key in seen:
            _fail(i, f"the key {key!r} is used twice")
        seen.add(key)
        if kind not in KINDS:
            _fail(i, f"the kind is one of {', '.join(KINDS)}")
        if not (q.get("text_en") or "").strip() or not (q.get("text_zh") or "").strip():
            _fail(i, "the question needs an English and a Chinese text")
        options = q.get("options") or []
        if kind == "choice":
            values = [o.get("value") for o in options]
            if len(options) < 2 or len(set(values)) != len(values):
                _fail(i, "a choice question has at least two options with different values")
            for o in options:
                if not KEY.match(o.get("value") or "") or not (o.get("en") or "").strip() or not (o.get("zh") or "").strip():
                    _fail(i, "each option has a value (lower-case letters, digits, _) and an English and a Chinese label")
        elif options:
            _fail(i, "only choice questions have options")
        out.append({"key": key, "kind": kind, "text_en": q["text_en"].strip(), "text_zh": q["text_zh"].strip(),
                    "required": bool(q.get("required", True)),
                    "options": [{"value": o["value"], "en": o["en"].strip(), "zh": o["zh"].strip()} for o in options]})
    return out


def create(session: Session, code: str, title_en: str, title_zh: str, questions: list[dict]
           ) -> tuple[SurveyDefinition, bool]:
    """Add a definition; the same one sent again returns it unchanged (created=False)."""
    if not KEY.match(code):
        raise Invalid("a survey code is 1 to 40 lower-case letters, digits or _, starting with a letter")
    if code in ("csat", "nps"):
        raise Invalid("csat and nps are the built-in surveys; choose another code")
    if not title_en.strip() or not title_zh.strip():
        raise Invalid("a survey needs an English and a Chinese title")
    questions = check(questions)
    row = session.scalar(select(SurveyDefinition).where(SurveyDefinition.code == code))
    if row is not None:
        if (row.title_en, row.title_zh, row.questions) == (title_en.strip(), title_zh.strip(), questions):
            return row, False
        raise Conflict(f"survey {code!r} exists with other questions; change it with PATCH")
    row = SurveyDefinition(code=code, title_en=title_en.strip(), title_zh=title_zh.strip(), questions=questions,
                           active=True)
    session.add(row)
    session.flush()
    return row, True


def get(session: Session, code: str, *, active: bool = False) -> SurveyDefinition:
    row = session.scalar(select(SurveyDefinition).where(SurveyDefinition.code == code))
    if row is None or (active and not row.active):
        raise NotFound(f"no {'active ' if active else ''}survey definition {code!r}")
    return row


def all_definitions(session: Session) -> list[SurveyDefinition]:
    return list(session.scalars(select(SurveyDefinition).order_by(SurveyDefinition.id)))


def update(session: Session, code: str, *, title_en: str | None = None, title_zh: str | None = None,
           questions: list[dict] | None = None, active: bool | None = None) -> SurveyDefinition:
    """Edit a definition; links already sent show the questions as they are when opened."""
    row = get(session, code)
    for field, value in (("title_en", title_en), ("title_zh", title_zh)):
        if value is not None:
            if not value.strip():
                raise Invalid(f"{field} may not be blank")
            setattr(row, field, value.strip())
    if questions is not None:
        row.questions = check(questions)
    if active is not None:
        row.active = active
    session.flush()
    return row


def text(item: dict, locale: str, field: str = "text") -> str:
    return item[f"{field}_zh" if locale.startswith("zh") else f"{field}_en"]
