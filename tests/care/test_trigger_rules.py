"""Date rules of the newer triggers: anniversaries (29 February), refill intervals, the win-back ladder."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from guanxi.care.trigger_rules import (anniversary_due, anniversary_in_year, check_ladder, ladder_step,
                                       offer_size, rebuy_intervals, refill_reminder_day)

D = dt.date


def test_anniversary_29_february_on_28_february_in_other_years():
    start = D(2024, 2, 29)
    assert anniversary_in_year(start, 2024) is None           # not in its own year
    assert anniversary_in_year(start, 2025) == D(2025, 2, 28)
    assert anniversary_in_year(start, 2028) == D(2028, 2, 29)
    assert anniversary_due(start, D(2025, 2, 28)) == D(2025, 2, 28)
    assert anniversary_due(start, D(2025, 3, 1)) is None
    assert anniversary_due(start, D(2028, 2, 28)) is None     # 2028 has its own 29th
    assert anniversary_due(start, D(2028, 2, 29)) == D(2028, 2, 29)
    assert anniversary_due(start, D(2026, 2, 25), days_before=3) == D(2026, 2, 28)


def test_anniversary_days_before_crosses_the_year():
    assert anniversary_due(D(2020, 1, 2), D(2025, 12, 30), days_before=3) == D(2026, 1, 2)
    assert anniversary_due(D(2025, 12, 31), D(2025, 12, 31)) is None


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2030, 12, 31)), st.integers(1, 40))
def test_anniversary_comes_exactly_once_a_year(start, later):
    year = start.year + later
    days = [D(year, 1, 1) + dt.timedelta(days=i) for i in range(366 if year % 4 == 0 else 365)]
    hits = [d for d in days if anniversary_due(start, d)]
    assert len(hits) == 1 and hits[0].month == start.month


def test_refill_interval_is_the_median_gap_per_sku_across_customers():
    lines = [
        (1, "BEANS", D(2026, 1, 1)), (1, "BEANS", D(2026, 1, 31)), (1, "BEANS", D(2026, 3, 2)),  # 30, 30
        (2, "BEANS", D(2026, 2, 1)), (2, "BEANS", D(2026, 2, 1)), (2, "BEANS", D(2026, 3, 13)),  # same day once; 40
        (3, "BEANS", D(2026, 5, 1)),                                                          # no repeat
        (1, "MUG", D(2026, 1, 1)), (1, "MUG", D(2026, 6, 1)),                                 # one repeat only
    ]
    assert rebuy_intervals(lines, min_repeats=3) == {"BEANS": 30.0}
    assert rebuy_intervals(lines, min_repeats=1) == {"BEANS": 30.0, "MUG": 151.0}
    assert rebuy_intervals(lines, min_repeats=4) == {}


def test_refill_interval_ignores_gaps_between_different_customers():
    # two customers buying a day apart would give a 1-day gap if they were mixed up
    lines = [(1, "TEA", D(2026, 1, 1)), (2, "TEA", D(2026, 1, 2)), (1, "TEA", D(2026, 1, 21)),
             (2, "TEA", D(2026, 1, 22))]
    assert rebuy_intervals(lines, min_repeats=2) == {"TEA": 20.0}


def test_refill_reminder_day():
    assert refill_reminder_day(D(2026, 3, 2), 30.0, 3) == D(2026, 3, 29)
    assert refill_reminder_day(D(2026, 3, 2), 29.6, 0) == D(2026, 4, 1)
    assert refill_reminder_day(D(2026, 3, 2), 2.0, 10) == D(2026, 3, 3)  # never before the day after buying


LADDER = [{"days": 90, "offer": {"kind": "coupon_code", "code": "WB5", "percent": 5}},
          {"days": 120, "offer": {"kind": "coupon_code", "code": "WB10", "percent": 10}},
          {"days": 150, "offer": {"kind": "bundle", "offers": [{"kind": "coupon_code", "code": "WB20", "percent": 20},
                                                                 {"kind": "points", "points": 500}]}}]


@pytest.mark.parametrize(("lapsed", "step"), [(89, None), (90, 0), (97, 0), (98, None), (119, None), (120, 1),
                                              (127, 1), (150, 2), (157, 2), (158, None), (400, None)])
def test_ladder_step_grows_with_the_time_lapsed(lapsed, step):
    assert ladder_step(LADDER, lapsed) == step


def test_ladder_steps_close_together_take_the_highest_reached():
    steps = [{"days": 30}, {"days": 33}]
    assert [ladder_step(steps, d) for d in (30, 32, 33, 40, 41)] == [0, 0, 1, 1, None]


def test_ladder_check_days_grow_and_offers_never_shrink():
    assert check_ladder(LADDER) is None
    assert offer_size(LADDER[2]["offer"]) == (20.0, 500)
    assert "more days" in check_ladder([LADDER[1], LADDER[0]])
    smaller = [LADDER[1], {"days": 150, "offer": {"kind": "coupon_code", "code": "X", "percent": 5}}]
    assert "never offers less" in check_ladder(smaller)
    fewer_points = [{"days": 90, "offer": {"kind": "points", "points": 500}},
                    {"days": 120, "offer": {"kind": "points", "points": 100}}]
    assert "never offers less" in check_ladder(fewer_points)
    assert check_ladder([]) and check_ladder("90") and check_ladder([{"days": 3}]) and check_ladder([{"wait": 90}])
