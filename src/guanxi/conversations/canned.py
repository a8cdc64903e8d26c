"""Canned replies: the shop's ready answers per language, found by key or words, with {name}-style blanks."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.conversations import search_text
from guanxi.conversations.models import CannedReply
from guanxi.errors import Invalid, NotFound

_KEY = re.compile(r"^[a-z0-9_.-]{1,60}$")
_BLANK = re.compile(r"\{(\w+)\}")


def save(session: Session, key: str, locale: str, title: str, body: str) -> CannedReply:
    if not _KEY.match(key):
        raise Invalid("a key is 1-60 lower-case letters, digits, _ . -")
    if locale not in ("zh-CN", "en") or not title.strip() or not body.strip():
        raise Invalid("a canned reply has a locale (zh-CN or en), a title and a body")
    row = session.scalar(select(CannedReply).where(CannedReply.key == key, CannedReply.locale == locale))
    if row is None:
        row = CannedReply(key=key, locale=locale)
        session.add(row)
    row.title, row.body = title.strip()[:200], body.strip()
    session.flush()
    return row


def find(session: Session, query: str | None = None, *, locale: str | None = None, limit: int = 20) -> list[CannedReply]:
    stmt = select(CannedReply)
    if locale:
        stmt = stmt.where(CannedReply.locale == locale)
    rows = list(session.scalars(stmt.order_by(CannedReply.key)))
    if not query:
        return rows[:limit]
    exact = [r for r in rows if r.key == query]
    ranked = [rows[i] for i, _ in search_text.rank(query, [f"{r.key} {r.title} {r.body}" for r in rows])]
    return list(dict.fromkeys(exact + ranked))[:limit]


def render(session: Session, reply_id: int, values: dict[str, str]) -> str:
    row = session.get(CannedReply, reply_id)
    if row is None:
        raise NotFound(f"no canned reply {reply_id}")
    return _BLANK.sub(lambda m: str(values.get(m.group(1), m.group(0))), row.body)
