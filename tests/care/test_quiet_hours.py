"""Quiet hours in the customer's own time zone: the message waits until they end."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.care.quiet_hours import QuietHours, next_allowed

UTC = dt.UTC
SH = "Asia/Shanghai"
NIGHT = QuietHours.parse("22:00-08:00")


def local(tz: str, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize("text, start, end", [
    ("22:00-08:00", dt.time(22), dt.time(8)),
    ("21:00–09:00", dt.time(21), dt.time(9)),
    ("12:30-14:00", dt.time(12, 30), dt.time(14)),
    (" 0:00 - 6:15 ", dt.time(0), dt.time(6, 15)),
])
def test_parse(text, start, end):
    q = QuietHours.parse(text)
    assert (q.start, q.end) == (start, end)


@pytest.mark.parametrize("text", ["", "22-08", "25:00-08:00", "22:00", "22:00-08:61", "a-b"])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        QuietHours.parse(text)


@pytest.mark.parametrize("t, quiet", [
    (dt.time(21, 59), False), (dt.time(22, 0), True), (dt.time(23, 59), True), (dt.time(0, 0), True),
    (dt.time(3, 0), True), (dt.time(7, 59, 59), True), (dt.time(8, 0), False), (dt.time(12, 0), False),
])
def test_window_across_midnight(t, quiet):
    assert NIGHT.is_quiet(t) is quiet


@pytest.mark.parametrize("t, quiet", [
    (dt.time(12, 29), False), (dt.time(12, 30), True), (dt.time(13, 59), True), (dt.time(14, 0), False),
])
def test_window_within_a_day(t, quiet):
    assert QuietHours.parse("12:30-14:00").is_quiet(t) is quiet


def test_empty_window_is_never_quiet():
    q = QuietHours.parse("09:00-09:00")
    assert not q.is_quiet(dt.time(9)) and not q.is_quiet(dt.time(3))


@pytest.mark.parametrize("at, expected", [
    # outside quiet hours: now
    (local(SH, 2026, 5, 1, 12, 0), local(SH, 2026, 5, 1, 12, 0)),
    (local(SH, 2026, 5, 1, 21, 59), local(SH, 2026, 5, 1, 21, 59)),
    (local(SH, 2026, 5, 1, 8, 0), local(SH, 2026, 5, 1, 8, 0)),
    # late evening: next morning
    (local(SH, 2026, 5, 1, 22, 0), local(SH, 2026, 5, 2, 8, 0)),
    (local(SH, 2026, 5, 1, 23, 30), local(SH, 2026, 5, 2, 8, 0)),
    # after midnight: the same morning
    (local(SH, 2026, 5, 2, 0, 0), local(SH, 2026, 5, 2, 8, 0)),
    (local(SH, 2026, 5, 2, 7, 59), local(SH, 2026, 5, 2, 8, 0)),
    # month and year ends
    (local(SH, 2026, 12, 31, 23, 0), local(SH, 2027, 1, 1, 8, 0)),
    (local(SH, 2028, 2, 28, 22, 5), local(SH, 2028, 2, 29, 8, 0)),
])
def test_next_allowed_shanghai(at, expected):
    got = next_allowed(at.astimezone(UTC), SH, NIGHT)
    assert got == expected and got.tzinfo == UTC


def test_same_utc_moment_differs_by_customer_zone():
    at = dt.datetime(2026, 5, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai, 08:00 in Los Angeles, 16:00 in London
    assert next_allowed(at, SH, NIGHT) == local(SH, 2026, 5, 2, 8, 0)
    assert next_allowed(at, "America/Los_Angeles", NIGHT) == at
    assert next_allowed(at, "Europe/London", NIGHT) == at


def test_daylight_saving_spring_forward_new_york():
    # 8 March 2026: clocks jump 02:00 -> 03:00. Quiet ends 08:00 local, which is 12:00 UTC (EDT), not 13:00.
    at = local("America/New_York", 2026, 3, 8, 1, 30)
    assert next_allowed(at, "America/New_York", NIGHT) == dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_daylight_saving_fall_back_new_york():
    # 1 November 2026: 02:00 -> 01:00. Quiet ends 08:00 EST = 13:00 UTC.
    at = local("America/New_York", 2026, 11, 1, 1, 30)
    assert next_allowed(at, "America/New_York", NIGHT) == dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_end_inside_the_spring_forward_gap_lands_after_the_gap():
    q = QuietHours.parse("22:00-02:30")  # 02:30 does not exist on 8 March 2026 in New York
    got = next_allowed(local("America/New_York", 2026, 3, 8, 0, 10), "America/New_York", q)
    assert got.astimezone(ZoneInfo("America/New_York")).time() >= dt.time(2, 30)
    assert not q.is_quiet(got.astimezone(ZoneInfo("America/New_York")).time())


def test_unknown_zone_falls_back_to_default():
    at = local(SH, 2026, 5, 1, 23, 0)
    assert next_allowed(at, "Mars/Olympus", NIGHT, default_tz=SH) == local(SH, 2026, 5, 2, 8, 0)


ZONES = ["Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC"]


@given(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(ZONES), st.integers(0, 23), st.integers(0, 23))
def test_never_earlier_never_quiet_and_within_a_day(at, tz, start_h, end_h):
    q = QuietHours(dt.time(start_h), dt.time(end_h))
    got = next_allowed(at, tz, q)
    assert got >= at
    assert got - at <= dt.timedelta(hours=25)
    assert not q.is_quiet(got.astimezone(ZoneInfo(tz)).time())
    if not q.is_quiet(at.astimezone(ZoneInfo(tz)).time()):
        assert got == at
