"""The SLA clock: business time on a working calendar, paused while the ticket waits.

Values in, values out: a `Schedule` (working calendar + opening hours + time zone), a
`Policy` per priority (first response and resolution budgets in business time), the
ticket's moments and its pauses. No database, no settings: the caller builds them.

Rules:
- time counts only inside opening hours on working days (weekends, Chinese public holidays
  and their make-up working days come from the calendar);
- a ticket created outside hours starts counting at the next opening;
- a pause (waiting for the customer, on hold) stops the clock; an open pause stops it for good,
  so there is no due time until it ends;
- the due time is the first moment with the whole budget behind it; answering at the due
  time meets the SLA, a second later misses it;
- a warning starts once `warn_ratio` of the budget is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A calendar with no working day within this many days is a configuration mistake.
_MAX_IDLE_DAYS = 3 * 366
_FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which dates are working days: Monday–Friday unless a holiday, plus make-up working days."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()   # weekend days declared working (调休上班)
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday() numbers

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def with_days(self, *, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> WorkingCalendar:
        """The shop's own edits: extra days off and extra working days."""
        holidays, workdays = frozenset(holidays), frozenset(workdays)
        return replace(self, holidays=(self.holidays | holidays) - workdays,
                       workdays=(self.workdays | workdays) - holidays)


def china_calendar(years: Iterable[int]) -> WorkingCalendar:
    """Mainland China's public holidays and make-up working days, as the `holidays` package knows them."""
    import holidays as holidays_pkg

    years = list(years)
    cn = holidays_pkg.China(years=years)
    wanted = set(years)
    return WorkingCalendar(
        holidays=frozenset(d for d in cn if d.year in wanted),
        workdays=frozenset(d for d in cn.weekend_workdays if d.year in wanted),
    )


@dataclass(frozen=True)
class Schedule:
    """When the clock runs: opening hours on the calendar's working days, in one time zone."""

    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    opens: dt.time = dt.time(9)
    closes: dt.time = dt.time(18)
    tz: str = "Asia/Shanghai"
    always: bool = False  # around the clock, every day (24×7 policies)

    def __post_init__(self):
        if not self.always and self.closes <= self.opens:
            raise ValueError("closing time must be after opening time")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.tz!r}") from None

    @classmethod
    def around_the_clock(cls) -> Schedule:
        return cls(always=True, tz="UTC")

    def windows(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Opening windows (UTC) that end after `start`, in order, for ever."""
        if self.always:
            yield start, _FAR_FUTURE
            return
        zone = ZoneInfo(self.tz)
        day = start.astimezone(zone).date()
        idle = 0
        while True:
            if self.calendar.is_working_day(day):
                idle = 0
                lo = dt.datetime.combine(day, self.opens, tzinfo=zone).astimezone(dt.UTC)
                hi = dt.datetime.combine(day, self.closes, tzinfo=zone).astimezone(dt.UTC)
                if hi > start:
                    yield max(lo, start), hi
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise ValueError("the working calendar has no working day")
            day += dt.timedelta(days=1)


@dataclass(frozen=True)
class Pause:
    """The clock stopped from `start` until `end` (None: still stopped)."""

    start: dt.datetime
    end: dt.datetime | None = None


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name}: naive datetime; pass timezone-aware times")
    return value.astimezone(dt.UTC)


def _merged(pauses: Sequence[Pause]) -> list[tuple[dt.datetime, dt.datetime]]:
    spans = sorted((_aware(p.start, "pause start"), _aware(p.end, "pause end") if p.end else _FAR_FUTURE)
                   for p in pauses)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for lo, hi in spans:
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _running(schedule: Schedule, start: dt.datetime, pauses: Sequence[Pause]
             ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Intervals (UTC, in order) in which the clock runs from `start` on; stops at an open pause."""
    stops = _merged(pauses)
    i = 0
    for lo, hi in schedule.windows(start):
        while lo < hi:
            while i < len(stops) and stops[i][1] <= lo:
                i += 1
            if i == len(stops) or stops[i][0] >= hi:
                yield lo, hi
                break
            p_lo, p_hi = stops[i]
            if p_lo > lo:
                yield lo, p_lo
            if p_hi == _FAR_FUTURE:
                return
            lo = p_hi


def business_time(schedule: Schedule, start: dt.datetime, end: dt.datetime,
                  pauses: Sequence[Pause] = ()) -> dt.timedelta:
    """Business time between two moments, less the pauses."""
    start, end = _aware(start, "start"), _aware(end, "end")
    total = dt.timedelta()
    if end <= start:
        return total
    for lo, hi in _running(schedule, start, pauses):
        if lo >= end:
            break
        total += min(hi, end) - lo
    return total


def add_business_time(schedule: Schedule, start: dt.datetime, budget: dt.timedelta,
                      pauses: Sequence[Pause] = ()) -> dt.datetime | None:
    """The first moment with `budget` of business time since `start`; None while an open pause holds it."""
    start = _aware(start, "start")
    left = budget
    if left <= dt.timedelta():
        return start
    for lo, hi in _running(schedule, start, pauses):
        if hi - lo >= left:
            return lo + left
        left -= hi - lo
    return None


# --- policies and the clock of one ticket ------------------------------------------------------

@dataclass(frozen=True)
class Policy:
    """Budgets for one priority, in business time."""

    priority: str
    first_response: dt.timedelta
    resolution: dt.timedelta
    warn_ratio: float = 0.75
    around_the_clock: bool = False

    def __post_init__(self):
        if not 0 < self.warn_ratio < 1:
            raise ValueError("warn_ratio is a fraction between 0 and 1")
        if self.first_response <= dt.timedelta() or self.resolution <= dt.timedelta():
            raise ValueError("SLA budgets must be positive")


_H = dt.timedelta(hours=1)
DEFAULT_POLICIES: dict[str, Policy] = {
    "P1": Policy("P1", first_response=0.5 * _H, resolution=4 * _H),
    "P2": Policy("P2", first_response=2 * _H, resolution=18 * _H),   # two working days of 9 h
    "P3": Policy("P3", first_response=4 * _H, resolution=27 * _H),
    "P4": Policy("P4", first_response=8 * _H, resolution=45 * _H),   # a working week
}


@dataclass(frozen=True)
class Target:
    """One SLA target of one ticket at one moment."""

    budget: dt.timedelta
    elapsed: dt.timedelta
    due: dt.datetime | None       # None while paused
    warn_at: dt.datetime | None
    state: str                    # running | warning | breached | paused | met | missed
    done_at: dt.datetime | None = None

    @property
    def remaining(self) -> dt.timedelta:
        return max(self.budget - self.elapsed, dt.timedelta())

    @property
    def overdue(self) -> dt.timedelta:
        return max(self.elapsed - self.budget, dt.timedelta())

    @property
    def breached(self) -> bool:
        return self.state in ("breached", "missed")


@dataclass(frozen=True)
class Clock:
    first_response: Target
    resolution: Target

    @property
    def next_due(self) -> dt.datetime | None:
        """The earliest due time still ahead of the team (for sorting the inbox)."""
        dues = [t.due for t in (self.first_response, self.resolution)
                if t.due is not None and t.state in ("running", "warning", "breached")]
        return min(dues) if dues else None


def _target(schedule: Schedule, policy: Policy, budget: dt.timedelta, start: dt.datetime,
            done: dt.datetime | None, pauses: Sequence[Pause], now: dt.datetime) -> Target:
    due = add_business_time(schedule, start, budget, pauses)
    warn_at = add_business_time(schedule, start, budget * policy.warn_ratio, pauses)
    if done is not None:
        elapsed = business_time(schedule, start, done, pauses)
        return Target(budget, elapsed, due, warn_at, "met" if elapsed <= budget else "missed", done)
    elapsed = business_time(schedule, start, now, pauses)
    if elapsed > budget:
        state = "breached"
    elif any(p.end is None and _aware(p.start, "pause start") <= now for p in pauses):
        state = "paused"
    elif elapsed >= budget * policy.warn_ratio:
        state = "warning"
    else:
        state = "running"
    return Target(budget, elapsed, due, warn_at, state)


def evaluate(schedule: Schedule, policy: Policy, *, created: dt.datetime, now: dt.datetime,
             first_response: dt.datetime | None = None, resolved: dt.datetime | None = None,
             pauses: Sequence[Pause] = ()) -> Clock:
    """Both clocks of a ticket at `now`. Pauses stop resolution; the first response is never paused."""
    if policy.around_the_clock:
        schedule = Schedule.around_the_clock()
    created, now = _aware(created, "created"), _aware(now, "now")
    # Pauses that have not started by `now` are not known yet.
    known = [p if p.end is None or p.end <= now else Pause(p.start, None)
             for p in pauses if _aware(p.start, "pause start") <= now]
    return Clock(
        first_response=_target(schedule, policy, policy.first_response, created, first_response, (), now),
        resolution=_target(schedule, policy, policy.resolution, created, resolved, known, now),
    )
