"""Lifecycle stages: thresholds come from the shop's own gaps between purchases."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics import lifecycle
from guanxi.analytics.lifecycle import Stage, Thresholds


def test_gaps_are_between_distinct_days_of_one_customer():
    customer = [1, 1, 1, 2, 2, 3]
    day = [10, 30, 30, 5, 50, 7]  # customer 1 bought twice on day 30
    assert sorted(lifecycle.purchase_gaps(customer, day)) == [20.0, 45.0]


def test_thresholds_follow_the_shop_rhythm():
    fast = lifecycle.thresholds(np.full(100, 7.0))
    slow = lifecycle.thresholds(np.arange(1, 101) * 3.0)
    assert fast.derived and fast.at_risk_after == 7.0 == fast.churned_after
    assert slow.at_risk_after == np.quantile(np.arange(1, 101) * 3.0, 0.8)
    assert slow.churned_after == np.quantile(np.arange(1, 101) * 3.0, 0.95)


def test_too_few_gaps_fall_back_and_say_so():
    t = lifecycle.thresholds([10.0, 12.0])
    assert not t.derived and t.gaps == 2
    assert (t.at_risk_after, t.churned_after) == (lifecycle.FALLBACK_AT_RISK_DAYS, lifecycle.FALLBACK_CHURNED_DAYS)


def test_stages_by_hand():
    limits = Thresholds(at_risk_after=30, churned_after=100, gaps=50, derived=True)
    purchase_days = [0, 1, 3, 3, 3, 2, 1]
    quiet = [0, 5, 10, 40, 150, 5, 200]
    last_gap = [0, 0, 20, 20, 20, 120, 0]
    assert list(lifecycle.stages(purchase_days, quiet, last_gap, limits)) == [
        Stage.PROSPECT, Stage.NEW, Stage.ACTIVE, Stage.AT_RISK, Stage.CHURNED, Stage.WON_BACK, Stage.CHURNED]


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 400), st.integers(0, 400)), max_size=40),
       st.integers(1, 200), st.integers(0, 200))
def test_every_customer_gets_exactly_one_known_stage(rows, at_risk, extra):
    limits = Thresholds(float(at_risk), float(at_risk + extra), 100, True)
    n = [r[0] for r in rows]
    result = lifecycle.stages(n, [r[1] for r in rows], [r[2] for r in rows], limits)
    assert len(result) == len(rows)
    for (count, quiet, _), stage in zip(rows, result):
        assert stage in set(lifecycle.STAGES)
        assert (stage == Stage.PROSPECT) == (count == 0)
        if count and quiet > limits.churned_after:
            assert stage == Stage.CHURNED
