"""Quiet hours in the customer's own time zone: a message that falls inside them waits, it is not dropped."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SPEC = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """Quiet from `start` (inclusive) to `end` (exclusive), local wall-clock time; may run across midnight."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        match = _SPEC.match(text or "")
        if not match:
            raise ValueError(f"quiet hours look like 21:00-09:00, not {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"not a time of day in {text!r}")
        return cls(dt.time(h1, m1), dt.time(h2, m2))

    def is_quiet(self, t: dt.time) -> bool:
        t = t.replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def zone(name: str | None, default_tz: str = "Asia/Shanghai") -> ZoneInfo:
    try:
        return ZoneInfo(name or default_tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default_tz)


def next_allowed(at: dt.datetime, tz: str | None, quiet: QuietHours, *,
                 default_tz: str = "Asia/Shanghai") -> dt.datetime:
    """The first moment at or after `at` (UTC) outside the customer's quiet hours, in UTC."""
    z = zone(tz, default_tz)
    at = at.astimezone(dt.UTC)
    here = at.astimezone(z)
    if not quiet.is_quiet(here.time()):
        return at
    day = here.date() if here.time() < quiet.end else here.date() + dt.timedelta(days=1)
    # fold=0 places an end time that falls in a spring-forward gap just after the gap.
    end = dt.datetime.combine(day, quiet.end, tzinfo=z).astimezone(dt.UTC)
    return max(end, at)
