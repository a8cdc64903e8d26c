"""The funnel over stored events and orders (``funnel.funnel`` does the counting)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from guanxi.analytics.funnel import funnel
from guanxi.config import Settings
from guanxi.customers import analytics_feed as feed
from guanxi.db import utcnow


def default_range(settings: Settings, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The last 30 days to today (shop time) unless given."""
    end = end or utcnow().astimezone(ZoneInfo(settings.default_timezone)).date()
    return start or end - dt.timedelta(days=29), end


def funnel_report(session: Session, settings: Settings, start: dt.date, end: dt.date) -> dict:
    """View → cart → order over [start, end] (local days), overall and per channel."""
    tz = ZoneInfo(settings.default_timezone)
    lo = dt.datetime.combine(start, dt.time(), tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    events = ((e.customer_id, e.kind, e.occurred_at.date(), e.channel)
              for e in feed.events(session, timezone=settings.default_timezone, start=lo, end=hi))
    orders = [(o.customer_id, o.placed_at.date()) for o in feed.order_facts(session, timezone=settings.default_timezone)
              if lo <= o.placed_at < hi]
    return funnel(events, orders, start, end)
