"""The SLA clock: business hours on the Chinese working calendar, pauses, due times and warnings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from guanxi.service import sla
from guanxi.service.sla import Pause, Policy, Schedule, WorkingCalendar

SH = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)
CAL = sla.china_calendar(range(2025, 2028))
DAY = Schedule(calendar=CAL, opens=dt.time(9), closes=dt.time(18), tz="Asia/Shanghai")  # 9 business hours a day


def at(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    """A Shanghai wall-clock time, as the UTC value storage holds."""
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SH).astimezone(dt.UTC)


# --- the calendar -----------------------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    (dt.date(2026, 11, 23), True),    # a Monday
    (dt.date(2026, 11, 28), False),   # a Saturday
    (dt.date(2026, 11, 29), False),   # a Sunday
    (dt.date(2026, 2, 17), False),    # Spring Festival
    (dt.date(2026, 2, 14), True),     # Saturday made a working day for Spring Festival
    (dt.date(2026, 2, 28), True),     # and another make-up Saturday after it
    (dt.date(2026, 10, 1), False),    # National Day
    (dt.date(2026, 10, 7), False),    # a day off substituted from 10 October
    (dt.date(2026, 10, 10), True),    # make-up Saturday after National Day
    (dt.date(2026, 9, 20), True),     # make-up Sunday before it
    (dt.date(2025, 9, 28), True),
    (dt.date(2026, 1, 1), False),
])
def test_china_working_days(day, working):
    assert CAL.is_working_day(day) is working


def test_calendar_without_holidays_is_monday_to_friday():
    plain = WorkingCalendar()
    assert [plain.is_working_day(dt.date(2026, 2, 16) + dt.timedelta(d)) for d in range(7)] == [
        True, True, True, True, True, False, False]


def test_edited_calendar_adds_a_shop_holiday():
    cal = CAL.with_days(holidays=[dt.date(2026, 11, 11)], workdays=[dt.date(2026, 11, 14)])
    assert not cal.is_working_day(dt.date(2026, 11, 11))
    assert cal.is_working_day(dt.date(2026, 11, 14))


def test_schedule_refuses_closing_before_opening():
    with pytest.raises(ValueError):
        Schedule(calendar=CAL, opens=dt.time(18), closes=dt.time(9), tz="Asia/Shanghai")


def test_schedule_refuses_an_unknown_time_zone():
    with pytest.raises(ValueError):
        Schedule(calendar=CAL, tz="Mars/Olympus")


# --- elapsed business time --------------------------------------------------------------------

@pytest.mark.parametrize("start, end, hours", [
    (at(2026, 11, 23, 10), at(2026, 11, 23, 12), 2),          # inside one day
    (at(2026, 11, 23, 7), at(2026, 11, 23, 10), 1),           # before opening counts nothing
    (at(2026, 11, 23, 17), at(2026, 11, 23, 22), 1),          # after closing counts nothing
    (at(2026, 11, 23, 17), at(2026, 11, 24, 10), 2),          # overnight
    (at(2026, 11, 27, 17), at(2026, 11, 30, 10), 2),          # Friday → Monday over a weekend
    (at(2026, 11, 28, 10), at(2026, 11, 29, 17), 0),          # only weekend
    (at(2026, 11, 23, 9), at(2026, 11, 30, 9), 45),           # a whole week = 5 days × 9 h
    (at(2026, 2, 13, 17), at(2026, 2, 14, 10), 2),            # Friday → make-up Saturday
    (at(2026, 2, 14, 17), at(2026, 2, 24, 10), 2),            # make-up Sat → after Spring Festival
    (at(2026, 9, 30, 17), at(2026, 10, 8, 10), 2),            # across National Day
    (at(2026, 9, 30, 17), at(2026, 10, 10, 10), 20),          # Thu 8th, Fri 9th and make-up Sat 10th
    (at(2026, 11, 23, 12), at(2026, 11, 23, 10), 0),          # end before start
])
def test_business_time_between(start, end, hours):
    assert sla.business_time(DAY, start, end) == hours * H


def test_pause_removes_its_business_time():
    pauses = [Pause(at(2026, 11, 23, 11), at(2026, 11, 23, 13))]
    assert sla.business_time(DAY, at(2026, 11, 23, 9), at(2026, 11, 23, 18), pauses) == 7 * H


def test_pause_across_midnight_only_removes_business_hours():
    # Waiting for the customer from 17:00 to 10:00 the next morning: 2 business hours stopped.
    pauses = [Pause(at(2026, 11, 23, 17), at(2026, 11, 24, 10))]
    assert sla.business_time(DAY, at(2026, 11, 23, 9), at(2026, 11, 24, 18), pauses) == 16 * H


def test_open_pause_stops_the_clock():
    pauses = [Pause(at(2026, 11, 23, 12), None)]
    assert sla.business_time(DAY, at(2026, 11, 23, 9), at(2026, 11, 25, 18), pauses) == 3 * H


def test_overlapping_pauses_are_not_counted_twice():
    pauses = [Pause(at(2026, 11, 23, 10), at(2026, 11, 23, 12)), Pause(at(2026, 11, 23, 11), at(2026, 11, 23, 14))]
    assert sla.business_time(DAY, at(2026, 11, 23, 9), at(2026, 11, 23, 18), pauses) == 5 * H


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        sla.business_time(DAY, dt.datetime(2026, 11, 23, 9), at(2026, 11, 23, 10))


# --- adding business time ---------------------------------------------------------------------

@pytest.mark.parametrize("start, hours, due", [
    (at(2026, 11, 23, 10), 2, at(2026, 11, 23, 12)),
    (at(2026, 11, 23, 17), 2, at(2026, 11, 24, 10)),
    (at(2026, 11, 23, 20), 1, at(2026, 11, 24, 10)),           # created after hours: counts from opening
    (at(2026, 11, 23, 3), 1, at(2026, 11, 23, 10)),            # created before hours
    (at(2026, 11, 27, 17), 2, at(2026, 11, 30, 10)),           # over the weekend
    (at(2026, 11, 28, 12), 1, at(2026, 11, 30, 10)),           # created on a Saturday
    (at(2026, 2, 13, 17), 2, at(2026, 2, 14, 10)),             # onto a make-up Saturday
    (at(2026, 2, 14, 17), 2, at(2026, 2, 24, 10)),             # over Spring Festival (16th–23rd off)
    (at(2026, 9, 30, 17), 10, at(2026, 10, 8, 18)),           # over National Day: 1 h + 9 h on the 8th
    (at(2026, 9, 30, 17), 11, at(2026, 10, 9, 10)),
    (at(2026, 10, 9, 17), 2, at(2026, 10, 10, 10)),           # onto the make-up Saturday 10 October
    (at(2026, 11, 23, 9), 9, at(2026, 11, 23, 18)),           # exactly one day ends at closing
    (at(2026, 11, 23, 10), 0, at(2026, 11, 23, 10)),
])
def test_add_business_time(start, hours, due):
    assert sla.add_business_time(DAY, start, hours * H) == due


def test_add_business_time_skips_pauses():
    pauses = [Pause(at(2026, 11, 23, 11), at(2026, 11, 24, 11))]
    assert sla.add_business_time(DAY, at(2026, 11, 23, 9), 4 * H, pauses) == at(2026, 11, 24, 13)


def test_add_business_time_with_open_pause_has_no_due_time():
    pauses = [Pause(at(2026, 11, 23, 10), None)]
    assert sla.add_business_time(DAY, at(2026, 11, 23, 9), 4 * H, pauses) is None


def test_add_business_time_met_before_the_open_pause():
    pauses = [Pause(at(2026, 11, 23, 15), None)]
    assert sla.add_business_time(DAY, at(2026, 11, 23, 9), 4 * H, pauses) == at(2026, 11, 23, 13)


def test_around_the_clock_schedule():
    always = Schedule.around_the_clock()
    assert sla.add_business_time(always, at(2026, 11, 28, 22), 4 * H) == at(2026, 11, 29, 2)
    assert sla.business_time(always, at(2026, 2, 16), at(2026, 2, 17)) == 24 * H


def test_other_time_zone_and_hours():
    berlin = Schedule(calendar=WorkingCalendar(), opens=dt.time(8), closes=dt.time(16), tz="Europe/Berlin")
    start = dt.datetime(2026, 3, 27, 15, tzinfo=ZoneInfo("Europe/Berlin"))  # Friday before the DST change
    due = sla.add_business_time(berlin, start, 2 * H)
    assert due == dt.datetime(2026, 3, 30, 9, tzinfo=ZoneInfo("Europe/Berlin"))


def test_a_calendar_with_no_working_day_is_an_error():
    never = Schedule(calendar=WorkingCalendar(weekend=frozenset(range(7))), tz="Asia/Shanghai")
    with pytest.raises(ValueError):
        sla.add_business_time(never, at(2026, 11, 23, 9), H)


# --- policies, due times, warnings and breaches ------------------------------------------------

POLICY = Policy(priority="P2", first_response=2 * H, resolution=18 * H, warn_ratio=0.75)


def test_default_policies_get_shorter_with_priority():
    pols = sla.DEFAULT_POLICIES
    assert [p.priority for p in pols.values()] == ["P1", "P2", "P3", "P4"]
    times = [p.first_response for p in pols.values()]
    assert times == sorted(times)
    assert all(p.first_response < p.resolution for p in pols.values())


def test_clock_due_times_for_a_ticket_created_after_hours():
    clock = sla.evaluate(DAY, POLICY, created=at(2026, 11, 27, 19), now=at(2026, 11, 28, 12))
    assert clock.first_response.due == at(2026, 11, 30, 11)
    assert clock.resolution.due == at(2026, 12, 1, 18)
    assert clock.first_response.state == "running"
    assert clock.first_response.warn_at == at(2026, 11, 30, 10, 30)


def test_warning_before_the_breach():
    clock = sla.evaluate(DAY, POLICY, created=at(2026, 11, 23, 9), now=at(2026, 11, 23, 10, 45))
    assert clock.first_response.state == "warning"
    assert clock.first_response.remaining == 15 * dt.timedelta(minutes=1)


def test_breach_exactly_at_the_boundary():
    created = at(2026, 11, 23, 9)
    on_time = sla.evaluate(DAY, POLICY, created=created, now=at(2026, 11, 23, 11))
    assert on_time.first_response.state == "warning"      # due now, not yet late
    late = sla.evaluate(DAY, POLICY, created=created, now=at(2026, 11, 23, 11, 0, 1))
    assert late.first_response.state == "breached"
    answered_at_due = sla.evaluate(DAY, POLICY, created=created, first_response=at(2026, 11, 23, 11),
                                   now=at(2026, 11, 24, 9))
    assert answered_at_due.first_response.state == "met"
    answered_late = sla.evaluate(DAY, POLICY, created=created, first_response=at(2026, 11, 23, 11, 0, 1),
                                 now=at(2026, 11, 24, 9))
    assert answered_late.first_response.state == "missed"


def test_waiting_for_customer_pauses_resolution():
    created = at(2026, 11, 23, 9)
    pauses = [Pause(at(2026, 11, 23, 10), None)]           # waiting since 10:00
    clock = sla.evaluate(DAY, POLICY, created=created, first_response=at(2026, 11, 23, 10), pauses=pauses,
                         now=at(2026, 12, 10, 9))
    assert clock.resolution.state == "paused"
    assert clock.resolution.due is None
    assert clock.resolution.elapsed == H


def test_resume_after_pause_moves_the_due_time():
    created = at(2026, 11, 23, 9)
    pauses = [Pause(at(2026, 11, 23, 17), at(2026, 11, 25, 9))]  # paused 1 h on Monday + all Tuesday
    clock = sla.evaluate(DAY, POLICY, created=created, first_response=at(2026, 11, 23, 10), pauses=pauses,
                         now=at(2026, 11, 25, 9))
    # 8 h on Monday, then 10 h from Wednesday 9:00
    assert clock.resolution.due == at(2026, 11, 26, 10)
    assert clock.resolution.elapsed == 8 * H


def test_resolved_in_time_is_met():
    clock = sla.evaluate(DAY, POLICY, created=at(2026, 11, 23, 9), first_response=at(2026, 11, 23, 9, 30),
                         resolved=at(2026, 11, 24, 17), now=at(2026, 12, 1))
    assert clock.resolution.state == "met"
    assert clock.first_response.state == "met"


def test_breached_resolution_over_spring_festival():
    created = at(2026, 2, 13, 9)                            # Friday before the festival
    clock = sla.evaluate(DAY, POLICY, created=created, first_response=at(2026, 2, 13, 9, 5),
                         now=at(2026, 2, 24, 12))
    # 9 h Friday 13th + 9 h on make-up Saturday 14th = 18 h: due at closing on the 14th
    assert clock.resolution.due == at(2026, 2, 14, 18)
    assert clock.resolution.state == "breached"
    assert clock.resolution.overdue == 3 * H


def test_warn_ratio_must_be_a_fraction():
    with pytest.raises(ValueError):
        Policy(priority="P1", first_response=H, resolution=2 * H, warn_ratio=1.5)


# --- invariants ---------------------------------------------------------------------------------

moments = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 6, 30),
                       timezones=st.just(dt.UTC))


@settings(max_examples=150, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=60 * 9 * 15))
def test_adding_then_measuring_gives_back_the_budget(start, minutes):
    budget = dt.timedelta(minutes=minutes)
    due = sla.add_business_time(DAY, start, budget)
    assert sla.business_time(DAY, start, due) == budget
    if minutes:
        # and the due time is the first moment with that much business time behind it
        assert sla.business_time(DAY, start, due - dt.timedelta(seconds=1)) < budget


@settings(max_examples=150, deadline=None)
@given(a=moments, b=moments, c=moments)
def test_business_time_is_additive(a, b, c):
    a, b, c = sorted([a, b, c])
    assert sla.business_time(DAY, a, c) == sla.business_time(DAY, a, b) + sla.business_time(DAY, b, c)


@settings(max_examples=100, deadline=None)
@given(a=moments, b=moments, p1=moments, p2=moments)
def test_pauses_never_add_time(a, b, p1, p2):
    a, b = sorted([a, b])
    p1, p2 = sorted([p1, p2])
    assert sla.business_time(DAY, a, b, [Pause(p1, p2)]) <= sla.business_time(DAY, a, b)
