"""Frequency caps: how many messages one customer gets per channel or in all, over every campaign.

A day is the customer's own calendar day; a week is the last seven days (rolling), so
"3 per week" never lets four through across a week boundary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from guanxi.care.quiet_hours import zone

CAP_CHANNELS = ("email", "sms", "wechat", "webhook", "push", "inapp")
_CAP = re.compile(r"^(?:(?P<channel>[a-z]+):)?(?P<limit>\d+)/(?P<period>day|week)$")
WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class Cap:
    limit: int
    period: str  # "day" (customer's calendar day) | "week" (rolling 7 days)
    channel: str | None = None  # None: all channels together


def parse_caps(text: str) -> list[Cap]:
    """"3/week, email:1/day" -> caps; the shop's setting and a campaign's own limits use this form."""
    caps = []
    for part in re.split(r"[,;]", text or ""):
        part = part.strip().replace(" ", "")
        if not part:
            continue
        match = _CAP.match(part)
        if not match or int(match["limit"]) < 1:
            raise ValueError(f"a cap looks like 3/week or email:1/day, not {part!r}")
        if match["channel"] and match["channel"] not in CAP_CHANNELS:
            raise ValueError(f"unknown channel {match['channel']!r} in cap {part!r}")
        caps.append(Cap(int(match["limit"]), match["period"], match["channel"]))
    return caps


def _release_for(cap: Cap, sent: Sequence[tuple[str, dt.datetime]], channel: str, at: dt.datetime,
                 tz) -> dt.datetime | None:
    if cap.channel and cap.channel != channel:
        return None
    times = sorted(t for ch, t in sent if cap.channel is None or ch == cap.channel)
    if cap.period == "day":
        today = at.astimezone(tz).date()
        if sum(1 for t in times if t.astimezone(tz).date() == today) < cap.limit:
            return None
        return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    window = [t for t in times if at - WEEK < t <= at]
    if len(window) < cap.limit:
        return None
    return window[len(window) - cap.limit] + WEEK


def cap_release(sent: Iterable[tuple[str, dt.datetime]], channel: str, at: dt.datetime, tz: str | None,
                caps: Sequence[Cap]) -> dt.datetime | None:
    """None if a message on `channel` may go at `at`; otherwise the earliest moment every cap allows it.

    `sent` is the customer's messages already sent (channel, when), across all campaigns.
    """
    sent = list(sent)
    z = zone(tz)
    candidate = at.astimezone(dt.UTC)
    for _ in range(64):  # each round moves past one blocking cap; a handful is enough in practice
        releases = [r for cap in caps if (r := _release_for(cap, sent, channel, candidate, z)) is not None]
        if not releases:
            return None if candidate == at else candidate
        candidate = max(releases)
    return candidate
