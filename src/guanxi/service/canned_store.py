"""The shop's editable canned replies (zh-CN and en, $variables checked when saved), seeded once
from the built-in ones in canned.py; the ticket page's picker and macros read from here."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.service import canned
from guanxi.service.models import CannedReply

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MACRO_STATUSES = ("open", "waiting", "on_hold")   # resolving needs a root cause, so no macro does it
FIELDS = ("title_en", "title_zh", "body_en", "body_zh", "status", "tag")


def ensure_defaults(session: Session) -> None:
    if session.scalar(select(CannedReply.id).limit(1)) is None:
        for c in canned.CANNED.values():
            session.add(CannedReply(key=c.key, title_en=c.title_en, title_zh=c.title_zh, body_en=c.body_en,
                                    body_zh=c.body_zh, status=c.status, tag=c.tag, active=True))
        session.flush()


def all_replies(session: Session, *, active_only: bool = False) -> list[CannedReply]:
    ensure_defaults(session)
    stmt = select(CannedReply).order_by(CannedReply.id)
    if active_only:
        stmt = stmt.where(CannedReply.active)
    return list(session.scalars(stmt))


def get(session: Session, key: str, *, active: bool = False) -> CannedReply:
    ensure_defaults(session)
    row = session.scalar(select(CannedReply).where(CannedReply.key == key))
    if row is None or (active and not row.active):
        raise NotFound(f"no {'active ' if active else ''}canned reply {key!r}")
    return row


def _check(values: dict) -> dict:
    for field in ("title_en", "title_zh", "body_en", "body_zh"):
        if field in values and not (values[field] or "").strip():
            raise Invalid(f"{field} may not be blank")
    for field in ("body_en", "body_zh"):
        if field in values:
            try:
                canned.check_body(values[field])
            except Invalid as exc:
                raise Invalid(f"{field}: {exc.detail}") from None
    if values.get("status") is not None and values["status"] not in MACRO_STATUSES:
        raise Invalid(f"a macro's status is one of {', '.join(MACRO_STATUSES)}")
    if "tag" in values and values["tag"] is not None and not values["tag"].strip():
        values["tag"] = None
    return values


def create(session: Session, key: str, **values) -> tuple[CannedReply, bool]:
    """Add a reply; the same one sent again returns it unchanged (created=False)."""
    if not KEY.match(key):
        raise Invalid("a canned-reply key is 1 to 40 lower-case letters, digits or _, starting with a letter")
    values = _check({f: values.get(f) for f in FIELDS})
    ensure_defaults(session)
    row = session.scalar(select(CannedReply).where(CannedReply.key == key))
    if row is not None:
        if all(getattr(row, f) == values[f] for f in FIELDS):
            return row, False
        raise Conflict(f"canned reply {key!r} exists with other texts; change it with PATCH")
    row = CannedReply(key=key, active=True, **values)
    session.add(row)
    session.flush()
    return row, True


def update(session: Session, key: str, **values) -> CannedReply:
    row = get(session, key)
    for field, value in _check(values).items():
        setattr(row, field, value)
    session.flush()
    return row


def render(row: CannedReply, locale: str, **values: object) -> str:
    return canned.fill(row.body_zh if locale.startswith("zh") else row.body_en, **values)


def title(row: CannedReply, locale: str) -> str:
    return row.title_zh if locale.startswith("zh") else row.title_en
