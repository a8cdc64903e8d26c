"""Per-channel rate limits and daily caps (GUANXI_CARE_RATE_LIMITS), shared by every outbox worker.

A provider allows so many messages a second and a day (an SMS gateway's contract, WeChat's quota).
A message over the limit is not dropped or failed: it goes back to the queue for the next free
window. The counts live in care_rate_counters so two workers on two machines share one budget;
a slot is taken with one conditional UPDATE (`used < limit`), which the database serialises.
Days are UTC days: the provider counts its quota in its own day, not the customer's.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from guanxi.care.models import RateCounter
from guanxi.dialect import insert_ignoring_conflicts

SECOND, DAY = "s", "d"


@dataclass(frozen=True)
class RateLimit:
    per_second: int | None = None
    per_day: int | None = None


def parse_limits(raw: str | dict | None) -> dict[str, RateLimit]:
    """'{"sms": {"per_second": 20, "per_day": 10000}}' -> {"sms": RateLimit(20, 10000)}; ValueError if malformed."""
    if not raw:
        return {}
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(data, dict):
        raise ValueError('rate limits are {"<channel>": {"per_second": n, "per_day": n}}')
    out = {}
    for channel, spec in data.items():
        if not isinstance(spec, dict) or not spec or set(spec) - {"per_second", "per_day"}:
            raise ValueError(f'the limit for {channel!r} is {{"per_second": n, "per_day": n}} (either or both)')
        for key, value in spec.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{channel}.{key} is a whole number of 1 or more")
        out[channel] = RateLimit(spec.get("per_second"), spec.get("per_day"))
    return out


@dataclass(frozen=True)
class Window:
    kind: str                 # SECOND | DAY
    key: str                  # the counter's name for this window
    limit: int
    next_start: dt.datetime   # when the following window opens: where a message over the limit waits
    expires_at: dt.datetime   # when the counter can be swept


def windows(limit: RateLimit, now: dt.datetime) -> list[Window]:
    """The windows `now` falls in, the day first (the scarcer budget is taken first, released if the second is full)."""
    now = now.astimezone(dt.UTC)
    out = []
    if limit.per_day:
        start = dt.datetime.combine(now.date(), dt.time(0), tzinfo=dt.UTC)
        nxt = start + dt.timedelta(days=1)
        out.append(Window(DAY, f"{DAY}:{now.date().isoformat()}", limit.per_day, nxt, nxt + dt.timedelta(days=1)))
    if limit.per_second:
        second = int(now.timestamp())
        nxt = dt.datetime.fromtimestamp(second + 1, dt.UTC)
        out.append(Window(SECOND, f"{SECOND}:{second}", limit.per_second, nxt, nxt + dt.timedelta(minutes=5)))
    return out


def decide(used: dict[str, int], limit: RateLimit, now: dt.datetime) -> dt.datetime | None:
    """Pure form of take(): None if one more message fits every window, else when to try again."""
    for w in windows(limit, now):
        if used.get(w.key, 0) >= w.limit:
            return w.next_start
    return None


def _take_one(session: Session, channel: str, w: Window) -> bool:
    session.execute(insert_ignoring_conflicts(session, RateCounter, ["channel", "window"]),
                    {"channel": channel, "window": w.key, "used": 0, "expires_at": w.expires_at})
    done = session.execute(update(RateCounter).where(
        RateCounter.channel == channel, RateCounter.window == w.key, RateCounter.used < w.limit)
        .values(used=RateCounter.used + 1))
    return done.rowcount == 1


def _give_back(session: Session, channel: str, w: Window) -> None:
    session.execute(update(RateCounter).where(RateCounter.channel == channel, RateCounter.window == w.key,
                                              RateCounter.used > 0).values(used=RateCounter.used - 1))


def take(session: Session, limits: dict[str, RateLimit], channel: str, now: dt.datetime) -> dt.datetime | None:
    """Take a slot for one message on `channel` in the caller's transaction: None if taken, else when to retry.

    The slot is held whatever happens to the send afterwards: a provider counts attempts, not successes.
    """
    limit = limits.get(channel)
    if limit is None:
        return None
    taken: list[Window] = []
    for w in windows(limit, now):
        if not _take_one(session, channel, w):
            for got in taken:
                _give_back(session, channel, got)
            return w.next_start
        taken.append(w)
    return None


def sweep(session: Session, now: dt.datetime) -> int:
    """Forget counters of windows long past (the drain calls it now and then)."""
    return session.execute(delete(RateCounter).where(RateCounter.expires_at < now)).rowcount
