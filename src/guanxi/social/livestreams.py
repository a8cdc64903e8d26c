"""Live-stream sessions (直播场次): the room's comments (mentions whose parent is the room) and the orders the shop
credits to it (orders whose `live_session` names the room, placed while it was on), in one report per session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.customers import purchases
from guanxi.errors import Invalid, NotFound
from guanxi.social import keyed
from guanxi.social.community_models import LiveSession
from guanxi.social.models import Mention


@dataclass(frozen=True)
class CommentFigures:
    comments: int
    sentiment: float | None      # mean score −1…1 of the comments, None without any
    positive: int
    neutral: int
    negative: int


def upsert_session(session: Session, *, platform: str, external_id: str, host: str, started_at: dt.datetime,
                   ended_at: dt.datetime | None = None, viewers: int = 0, title: str = "") -> tuple[LiveSession, bool]:
    if ended_at is not None and ended_at < started_at:
        raise Invalid("a live session cannot end before it starts",
                      errors=[{"loc": ["body", "ended_at"], "msg": "on or after started_at"}])
    return keyed.upsert(session, LiveSession, platform, external_id, {
        "host": host, "title": title, "started_at": started_at, "ended_at": ended_at, "viewers": viewers})


def get(session: Session, session_id: int) -> LiveSession:
    row = session.get(LiveSession, session_id)
    if row is None:
        raise NotFound(f"no live session {session_id}")
    return row


def sessions(session: Session, *, platform: str | None = None, limit: int = 50, offset: int = 0
             ) -> tuple[list[LiveSession], int]:
    stmt = select(LiveSession)
    if platform:
        stmt = stmt.where(LiveSession.platform == platform)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(LiveSession.started_at.desc(), LiveSession.id.desc())
                           .offset(offset).limit(limit))
    return list(rows), count


def comment_figures(session: Session, platform: str, parent_id: str) -> CommentFigures:
    """Visible comments under a room or group (removed spam and abuse do not count)."""
    rows = session.execute(select(Mention.label, func.count(), func.sum(Mention.sentiment)).where(
        Mention.platform == platform, Mention.parent_id == parent_id, Mention.status == "visible")
        .group_by(Mention.label)).all()
    by_label = {label: int(n) for label, n, _ in rows}
    total = sum(by_label.values())
    score = sum(float(s or 0) for _, _, s in rows)
    return CommentFigures(total, round(score / total, 3) if total else None, by_label.get("positive", 0),
                          by_label.get("neutral", 0), by_label.get("negative", 0))


def report(session: Session, live: LiveSession) -> dict:
    """Viewers, comments and their sentiment, orders credited and revenue (by currency, minor units)."""
    c = comment_figures(session, live.platform, live.external_id)
    # The window is the stream itself, ends included: an order naming the room later (a replay, a saved
    # link) is not the session's doing. A session still on counts everything since it began.
    sales = purchases.net_sales(session, live_session=live.external_id, since=live.started_at,
                                until=live.ended_at + dt.timedelta(microseconds=1) if live.ended_at else None)
    return {"id": live.id, "platform": live.platform, "external_id": live.external_id, "host": live.host,
            "title": live.title, "started_at": live.started_at, "ended_at": live.ended_at, "viewers": live.viewers,
            "comments": c.comments, "sentiment": c.sentiment,
            "comment_labels": {"positive": c.positive, "neutral": c.neutral, "negative": c.negative},
            "orders": sales.orders, "buyers": sales.buyers,
            "revenue": [{"currency": cur, "amount_minor": amount} for cur, amount in sales.revenue.items()]}
