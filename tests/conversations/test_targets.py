"""Reply-time targets per channel in business time, and when to send the away message."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, strategies as st

from guanxi.conversations import targets
from guanxi.service.sla import Schedule, WorkingCalendar

SH = dt.timezone(dt.timedelta(hours=8))
SCHEDULE = Schedule(calendar=WorkingCalendar(), opens=dt.time(9), closes=dt.time(18), tz="Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, tzinfo=SH)


def test_live_chat_first_response_due_in_a_minute_then_warning_then_breached():
    t = targets.evaluate(SCHEDULE, "livechat", waiting_since=MONDAY_10, answered_before=False, now=MONDAY_10)
    assert (t.kind, t.state, t.due) == ("first_response", "running", MONDAY_10 + dt.timedelta(seconds=60))
    t = targets.evaluate(SCHEDULE, "livechat", waiting_since=MONDAY_10, answered_before=False,
                         now=MONDAY_10 + dt.timedelta(seconds=50))
    assert t.state == "warning" and t.remaining_seconds == 10
    t = targets.evaluate(SCHEDULE, "livechat", waiting_since=MONDAY_10, answered_before=False,
                         now=MONDAY_10 + dt.timedelta(seconds=61))
    assert t.state == "breached"


def test_later_replies_have_the_reply_target_and_nothing_waiting_has_none():
    t = targets.evaluate(SCHEDULE, "wechat", waiting_since=MONDAY_10, answered_before=True, now=MONDAY_10)
    assert t.kind == "reply" and t.due == MONDAY_10 + dt.timedelta(minutes=10)
    assert targets.evaluate(SCHEDULE, "wechat", waiting_since=None, answered_before=True, now=MONDAY_10).state == "none"


def test_a_message_at_night_is_due_after_the_next_opening():
    night = dt.datetime(2026, 11, 23, 22, tzinfo=SH)
    t = targets.evaluate(SCHEDULE, "email", waiting_since=night, answered_before=False, now=night)
    assert t.due == dt.datetime(2026, 11, 24, 13, tzinfo=SH)
    friday_night = dt.datetime(2026, 11, 27, 20, tzinfo=SH)
    t = targets.evaluate(SCHEDULE, "livechat", waiting_since=friday_night, answered_before=False, now=friday_night)
    assert t.due == dt.datetime(2026, 11, 30, 9, 1, tzinfo=SH)


def test_met_counts_business_time_only():
    night = dt.datetime(2026, 11, 23, 23, tzinfo=SH)
    assert targets.met(SCHEDULE, "livechat", asked_at=night, answered_at=dt.datetime(2026, 11, 24, 9, 0, 30, tzinfo=SH),
                       first=True)
    assert not targets.met(SCHEDULE, "livechat", asked_at=MONDAY_10, answered_at=MONDAY_10 + dt.timedelta(minutes=2),
                           first=True)


def test_away_message_once_per_closed_stretch():
    night = dt.datetime(2026, 11, 23, 20, tzinfo=SH)
    assert not targets.needs_away_message(SCHEDULE, at=MONDAY_10, last_away_at=None)
    assert targets.needs_away_message(SCHEDULE, at=night, last_away_at=None)
    assert not targets.needs_away_message(SCHEDULE, at=night + dt.timedelta(hours=3), last_away_at=night)
    next_night = night + dt.timedelta(days=1)
    assert targets.needs_away_message(SCHEDULE, at=next_night, last_away_at=night)


@given(st.sampled_from(sorted(targets.DEFAULT_TARGETS)), st.integers(0, 7 * 24 * 60), st.booleans())
def test_due_is_never_before_the_message_and_exactly_the_budget_of_business_time(channel, minutes, answered):
    asked = MONDAY_10 + dt.timedelta(minutes=minutes)
    t = targets.evaluate(SCHEDULE, channel, waiting_since=asked, answered_before=answered, now=asked)
    assert t.due >= asked
    from guanxi.service.sla import business_time
    assert business_time(SCHEDULE, asked, t.due) == targets.budget_for(channel, not answered)
