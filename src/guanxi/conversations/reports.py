"""Figures of the inbox: pre-sales conversion and reply times per channel."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.conversations import targets
from guanxi.conversations.models import Conversation, ConversationMessage
from guanxi.conversations.settings import ConversationSettings
from guanxi.customers import profiles
from guanxi.service.sla import business_time


def converted(conversation_at: dt.datetime, order_times: list[dt.datetime], days: int) -> bool:
    """An order placed after the conversation started and within `days` of it."""
    return any(conversation_at <= at <= conversation_at + dt.timedelta(days=days) for at in order_times)


def presales_conversion(session: Session, *, since: dt.datetime, until: dt.datetime, days: int) -> dict:
    """Pre-sales conversations started in [since, until) followed by an order within `days`."""
    convs = list(session.scalars(select(Conversation).where(
        Conversation.type == "pre_sales", Conversation.created_at >= since, Conversation.created_at < until,
        Conversation.customer_id.is_not(None))))
    orders: dict[int, list[dt.datetime]] = {}
    won = 0
    for c in convs:
        if c.customer_id not in orders:
            orders[c.customer_id] = [e["at"] for e in profiles.timeline(session, c.customer_id, limit=200)
                                     if e["kind"] == "order"]
        won += converted(c.created_at, orders[c.customer_id], days)
    total = len(convs)
    return {"conversations": total, "converted": won, "rate": round(won / total, 4) if total else None, "days": days}


def reply_times(session: Session, cfg: ConversationSettings, *, since: dt.datetime, until: dt.datetime) -> dict:
    """Per channel: first responses given, how many met their target, and the median in business seconds."""
    rows = session.execute(select(Conversation.id, Conversation.channel, Conversation.created_at,
                                  Conversation.first_response_at)
                           .where(Conversation.created_at >= since, Conversation.created_at < until))
    out: dict[str, dict] = defaultdict(lambda: {"conversations": 0, "answered": 0, "met": 0, "median_seconds": None})
    waits: dict[str, list[float]] = defaultdict(list)
    for cid, channel, created, first in rows:
        figures = out[channel]
        figures["conversations"] += 1
        if first is None:
            continue
        asked = session.scalar(select(ConversationMessage.created_at).where(
            ConversationMessage.conversation_id == cid, ConversationMessage.direction == "in")
            .order_by(ConversationMessage.id).limit(1)) or created
        schedule = cfg.schedule(asked.date())
        figures["answered"] += 1
        figures["met"] += targets.met(schedule, channel, asked_at=asked, answered_at=first, first=True)
        waits[channel].append(business_time(schedule, asked, first).total_seconds())
    for channel, values in waits.items():
        values.sort()
        out[channel]["median_seconds"] = values[len(values) // 2]
    return dict(out)
