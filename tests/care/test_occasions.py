"""Birthdays (with 29 February and month-day-only dates) and China's holidays and shopping festivals."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.care.occasions import (OCCASIONS, birthday_due, birthday_in_year, md_keys, occasion_dates,
                                   occasions_on, parse_birthday)

D = dt.date


@pytest.mark.parametrize("text, parsed", [
    ("1990-05-17", (1990, 5, 17)), ("--05-17", (None, 5, 17)), ("2000-02-29", (2000, 2, 29)),
    ("--02-29", (None, 2, 29)), ("--12-31", (None, 12, 31)),
])
def test_parse_birthday(text, parsed):
    assert parse_birthday(text) == parsed


@pytest.mark.parametrize("text", ["", "1990-13-01", "--02-30", "1991-02-29", "17/05/1990", "--5-17", None])
def test_parse_birthday_rejects(text):
    assert parse_birthday(text) is None


@pytest.mark.parametrize("birthday, year, expected", [
    ("1990-05-17", 2026, D(2026, 5, 17)),
    ("--05-17", 2026, D(2026, 5, 17)),
    ("2000-02-29", 2028, D(2028, 2, 29)),   # leap year: its own day
    ("2000-02-29", 2026, D(2026, 2, 28)),   # other years: 28 February
    ("--02-29", 2027, D(2027, 2, 28)),
    ("--02-29", 2100, D(2100, 2, 28)),      # 2100 is not a leap year
    ("--02-28", 2028, D(2028, 2, 28)),
])
def test_birthday_in_year(birthday, year, expected):
    assert birthday_in_year(birthday, year) == expected


@pytest.mark.parametrize("birthday, today, days_before, due", [
    ("1990-05-17", D(2026, 5, 17), 0, True),
    ("1990-05-17", D(2026, 5, 16), 0, False),
    ("1990-05-17", D(2026, 5, 10), 7, True),
    ("1990-05-17", D(2026, 5, 17), 7, False),
    ("--05-17", D(2026, 5, 14), 3, True),
    ("2000-02-29", D(2026, 2, 28), 0, True),
    ("2000-02-29", D(2026, 3, 1), 0, False),
    ("2000-02-29", D(2028, 2, 28), 0, False),
    ("2000-02-29", D(2028, 2, 29), 0, True),
    ("2000-02-29", D(2026, 2, 21), 7, True),
    ("--02-28", D(2026, 2, 28), 0, True),
    # N days before, across the new year
    ("1990-01-02", D(2025, 12, 28), 5, True),
    ("1990-01-02", D(2026, 12, 28), 5, True),
    ("--01-01", D(2026, 12, 31), 1, True),
    ("--01-01", D(2026, 1, 1), 0, True),
    (None, D(2026, 1, 1), 0, False),
    ("nonsense", D(2026, 1, 1), 0, False),
])
def test_birthday_due(birthday, today, days_before, due):
    assert birthday_due(birthday, today, days_before) is due


@pytest.mark.parametrize("day, keys", [
    (D(2026, 5, 17), ["05-17"]),
    (D(2026, 2, 28), ["02-28", "02-29"]),  # 29 February people are greeted on the 28th in other years
    (D(2028, 2, 28), ["02-28"]),
    (D(2028, 2, 29), ["02-29"]),
])
def test_md_keys(day, keys):
    assert md_keys(day) == keys


@given(st.dates(min_value=D(1950, 1, 1), max_value=D(2010, 12, 31)), st.integers(2020, 2060), st.integers(0, 30))
def test_exactly_one_due_day_a_year(birth, year, days_before):
    text = birth.isoformat()
    occurrence = birthday_in_year(text, year)
    trigger = occurrence - dt.timedelta(days=days_before)
    assert birthday_due(text, trigger, days_before)
    assert not birthday_due(text, trigger - dt.timedelta(days=1), days_before)
    assert not birthday_due(text, trigger + dt.timedelta(days=1), days_before)
    # and the blind-index keys of the target day find this birthday
    assert f"{birth.month:02d}-{birth.day:02d}" in md_keys(occurrence)


@pytest.mark.parametrize("year, name, date", [
    (2026, "spring_festival", D(2026, 2, 17)),
    (2025, "spring_festival", D(2025, 1, 29)),
    (2027, "spring_festival", D(2027, 2, 6)),
    (2026, "mid_autumn", D(2026, 9, 25)),
    (2025, "mid_autumn", D(2025, 10, 6)),
    (2026, "dragon_boat", D(2026, 6, 19)),
    (2026, "national_day", D(2026, 10, 1)),
    (2026, "labour_day", D(2026, 5, 1)),
    (2026, "new_year", D(2026, 1, 1)),
    (2026, "520", D(2026, 5, 20)),
    (2026, "618", D(2026, 6, 18)),
    (2026, "double_11", D(2026, 11, 11)),
    (2026, "double_12", D(2026, 12, 12)),
])
def test_occasion_dates(year, name, date):
    assert occasion_dates(year)[name] == [date]


def test_observed_and_substituted_days_are_not_the_festival():
    assert occasion_dates(2026)["national_day"] == [D(2026, 10, 1)]
    assert occasions_on(D(2026, 10, 5)) == []
    assert occasions_on(D(2026, 2, 18)) == []  # second day of the Spring Festival holiday


def test_member_day_every_month():
    days = occasion_dates(2026, member_day=8)["member_day"]
    assert len(days) == 12 and all(d.day == 8 for d in days)
    assert "member_day" in occasions_on(D(2026, 3, 8), member_day=8)
    assert "member_day" not in occasions_on(D(2026, 3, 8))


def test_member_day_31_is_the_last_day_of_short_months():
    days = occasion_dates(2026, member_day=31)["member_day"]
    assert D(2026, 2, 28) in days and D(2026, 4, 30) in days and D(2026, 1, 31) in days


def test_custom_occasions():
    assert occasions_on(D(2026, 8, 8), custom={"shop_anniversary": "08-08"}) == ["shop_anniversary"]
    with pytest.raises(ValueError):
        occasion_dates(2026, custom={"bad": "13-40"})


def test_occasions_on_a_shared_day():
    assert occasions_on(D(2026, 10, 1), member_day=1) == ["national_day", "member_day"]


def test_every_known_occasion_has_a_date_each_year():
    for year in (2025, 2026, 2027, 2030):
        dates = occasion_dates(year, member_day=18)
        for name in OCCASIONS:
            assert dates[name], (year, name)
