"""Frequency caps per customer, per channel and across channels, counted over all campaigns."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.care.caps import Cap, cap_release, parse_caps

UTC = dt.UTC
SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH).astimezone(UTC)


WEEK3 = Cap(limit=3, period="week")
EMAIL_DAY1 = Cap(limit=1, period="day", channel="email")


def test_nothing_sent_is_allowed():
    assert cap_release([], "email", sh(2026, 5, 1, 10), "Asia/Shanghai", [WEEK3, EMAIL_DAY1]) is None


def test_no_caps_always_allowed():
    sent = [("email", sh(2026, 5, 1, 9))] * 50
    assert cap_release(sent, "email", sh(2026, 5, 1, 10), "Asia/Shanghai", []) is None


def test_daily_channel_cap_waits_for_local_midnight():
    sent = [("email", sh(2026, 5, 1, 9))]
    assert cap_release(sent, "email", sh(2026, 5, 1, 10), "Asia/Shanghai", [EMAIL_DAY1]) == sh(2026, 5, 2, 0, 0)


def test_daily_cap_is_per_channel():
    sent = [("email", sh(2026, 5, 1, 9))]
    assert cap_release(sent, "sms", sh(2026, 5, 1, 10), "Asia/Shanghai", [EMAIL_DAY1]) is None


def test_daily_cap_counts_the_customers_day_not_utc():
    # 23:30 on 30 April in Shanghai is 15:30 UTC; 00:30 on 1 May is 16:30 UTC: different local days.
    sent = [("email", sh(2026, 4, 30, 23, 30))]
    assert cap_release(sent, "email", sh(2026, 5, 1, 0, 30), "Asia/Shanghai", [EMAIL_DAY1]) is None
    la = "America/Los_Angeles"  # the same two moments are the same day in Los Angeles
    assert cap_release(sent, "email", sh(2026, 5, 1, 0, 30), la, [EMAIL_DAY1]) is not None


def test_weekly_cap_across_channels_and_campaigns():
    sent = [("email", sh(2026, 5, 1, 10)), ("sms", sh(2026, 5, 3, 10)), ("wechat", sh(2026, 5, 5, 10))]
    release = cap_release(sent, "email", sh(2026, 5, 6, 10), "Asia/Shanghai", [WEEK3])
    assert release == sh(2026, 5, 8, 10)  # the oldest of the three leaves the 7-day window


def test_weekly_cap_under_limit():
    sent = [("email", sh(2026, 5, 1, 10)), ("sms", sh(2026, 5, 3, 10))]
    assert cap_release(sent, "wechat", sh(2026, 5, 6, 10), "Asia/Shanghai", [WEEK3]) is None


def test_old_messages_do_not_count():
    sent = [("email", sh(2026, 4, 1, 10))] * 5
    assert cap_release(sent, "email", sh(2026, 5, 6, 10), "Asia/Shanghai", [WEEK3]) is None


def test_weekly_release_with_more_than_the_limit_already_sent():
    # A service blast or a changed cap can leave more than the limit in the window.
    sent = [("email", sh(2026, 5, d, 10)) for d in (1, 2, 3, 4, 5)]
    assert cap_release(sent, "email", sh(2026, 5, 6, 10), "Asia/Shanghai", [WEEK3]) == sh(2026, 5, 10, 10)


def test_both_caps_the_later_release_wins():
    caps = [WEEK3, EMAIL_DAY1]
    sent = [("sms", sh(2026, 5, 1, 10)), ("sms", sh(2026, 5, 2, 10)), ("email", sh(2026, 5, 7, 9))]
    # The e-mail cap frees at midnight, but the 7-day window then still holds three until 1 May 10:00 leaves it.
    assert cap_release(sent, "email", sh(2026, 5, 7, 12), "Asia/Shanghai", caps) == sh(2026, 5, 8, 10)


def test_channel_weekly_cap():
    cap = Cap(limit=2, period="week", channel="sms")
    sent = [("sms", sh(2026, 5, 1, 10)), ("sms", sh(2026, 5, 2, 10)), ("email", sh(2026, 5, 2, 11))]
    assert cap_release(sent, "sms", sh(2026, 5, 3, 10), "Asia/Shanghai", [cap]) == sh(2026, 5, 8, 10)
    assert cap_release(sent, "email", sh(2026, 5, 3, 10), "Asia/Shanghai", [cap]) is None


@pytest.mark.parametrize("text, caps", [
    ("", []),
    ("3/week", [Cap(3, "week")]),
    ("3/week, email:1/day", [Cap(3, "week"), Cap(1, "day", "email")]),
    ("sms:2/week;wechat:1/day", [Cap(2, "week", "sms"), Cap(1, "day", "wechat")]),
])
def test_parse_caps(text, caps):
    assert parse_caps(text) == caps


@pytest.mark.parametrize("text", ["3", "x/week", "3/month", "0/day", "fax:1/day"])
def test_parse_caps_rejects(text):
    with pytest.raises(ValueError):
        parse_caps(text)


@given(st.lists(st.tuples(st.sampled_from(["email", "sms", "wechat"]),
                          st.integers(0, 14 * 24 * 60)), max_size=25),
       st.integers(0, 14 * 24 * 60), st.sampled_from(["email", "sms", "wechat"]),
       st.integers(1, 4), st.integers(1, 2))
def test_release_is_later_and_then_allowed(offsets, now_offset, channel, week_limit, day_limit):
    base = dt.datetime(2026, 5, 1, tzinfo=UTC)
    sent = [(ch, base + dt.timedelta(minutes=m)) for ch, m in offsets]
    at = base + dt.timedelta(minutes=now_offset)
    sent = [(ch, t) for ch, t in sent if t <= at]
    caps = [Cap(week_limit, "week"), Cap(day_limit, "day", channel)]
    release = cap_release(sent, channel, at, "Asia/Shanghai", caps)
    if release is not None:
        assert release > at
        assert cap_release(sent, channel, release, "Asia/Shanghai", caps) is None
