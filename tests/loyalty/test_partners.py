"""The coalition's rules without storage: exchange rate, settlement value, month boundaries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from guanxi.errors import Invalid
from guanxi.loyalty.partners import month_bounds, points_for, value_of


def test_exchange_rate_rounds_down_to_whole_points():
    # 1 point per 10 yuan (1000 fen): 12,999 fen is 12 points, not 13
    assert points_for(12_999, 1000, 1) == 12
    assert points_for(1000, 1000, 1) == 1
    assert points_for(999, 1000, 1) == 0
    # 3 of our points per 2 partner points
    assert points_for(5, 2, 3) == 7


def test_a_non_positive_amount_is_refused():
    with pytest.raises(Invalid):
        points_for(0, 1, 1)
    with pytest.raises(Invalid):
        points_for(-5, 1, 1)


@given(units=st.integers(1, 10**9), rate_units=st.integers(1, 10**6), rate_points=st.integers(1, 10**6))
def test_points_never_exceed_the_exact_exchange(units, rate_units, rate_points):
    p = points_for(units, rate_units, rate_points)
    assert p * rate_units <= units * rate_points < (p + 1) * rate_units


def test_settlement_value_is_rounded_half_up_on_the_total():
    assert value_of(1234, 1, 1) == 1234          # 1 fen a point
    assert value_of(1235, 1, 2) == 618           # half a fen a point: 617.5 → 618
    assert value_of(1233, 1, 2) == 617           # 616.5 → 617
    assert value_of(10, 3, 4) == 8               # 7.5 → 8
    assert value_of(9, 3, 4) == 7                # 6.75 → 7
    assert value_of(0, 5, 1) == 0


def test_month_bounds_are_in_the_shops_time_zone():
    start, end = month_bounds("2026-11", "Asia/Shanghai")
    assert start == dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    start, end = month_bounds("2026-12", "Asia/Shanghai")
    assert end == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)   # December runs into the next year


def test_month_bounds_follow_daylight_saving_time():
    start, end = month_bounds("2026-03", "Europe/Berlin")   # CET in March 1, CEST on April 1
    assert start == dt.datetime(2026, 2, 28, 23, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "", "2026-11-01", "2026/11"])
def test_a_malformed_month_is_refused_with_the_format(month):
    with pytest.raises(Invalid, match="YYYY-MM"):
        month_bounds(month, "UTC")


def test_partner_codes_are_ascii_so_they_fit_urls_and_ledger_sources():
    from guanxi.loyalty.partners import CODE

    assert CODE.match("CAFE_2-b") and not CODE.match("咖啡") and not CODE.match("") and not CODE.match("A" * 25)
