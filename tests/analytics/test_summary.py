from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics.summary import summarize, summarize_transactions

CAL_END = date(2024, 3, 31)
HOLDOUT_END = date(2024, 6, 30)


def test_hand_computed_summary():
    d = date(2024, 1, 1)
    summary = summarize_transactions(
        [
            ("ann", d, 10.0),
            ("ann", d, 5.0),  # same day: one transaction of 15
            ("ann", d + timedelta(days=14), 20.0),
            ("ann", d + timedelta(days=28), 30.0),
            ("ann", d + timedelta(days=28), 10.0),
            ("ann", date(2024, 4, 1), 99.0),  # holdout
            ("bob", date(2024, 3, 31), 7.0),  # first purchase on the calibration end: counted
            ("bob", date(2024, 7, 1), 7.0),  # after the holdout: ignored
            ("cyd", date(2024, 4, 2), 50.0),  # first purchase after calibration: not in the cohort
        ],
        CAL_END,
        HOLDOUT_END,
    )
    assert list(summary.customer_ids) == ["ann", "bob"]
    assert list(summary.frequency) == [2, 0]
    assert list(summary.recency) == [4, 0]
    assert summary.age[0] == pytest.approx((CAL_END - d).days / 7)
    assert list(summary.age)[1] == 0
    assert list(summary.monetary) == [30, 0]  # (20 + 40) / 2: the first purchase left out
    assert list(summary.holdout_frequency) == [1, 0]
    assert summary.holdout_weeks == pytest.approx(91 / 7)


def test_without_holdout_and_empty():
    summary = summarize([], [], [], CAL_END)
    assert len(summary) == 0 and summary.holdout_frequency is None
    summary = summarize([1, 1], ["2024-01-01", "2024-04-01"], [1, 2], CAL_END)
    assert (summary.frequency[0], summary.holdout_frequency) == (0, None)
    with pytest.raises(ValueError, match="holdout_end"):
        summarize([1], ["2024-01-01"], [1], CAL_END, CAL_END)


purchases = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 200), st.integers(0, 10_000)),
    max_size=60,
)


@given(purchases)
def test_summary_invariants(rows):
    start = date(2024, 1, 1)
    cal_end = start + timedelta(days=100)
    s = summarize_transactions(
        [(c, start + timedelta(days=d), a / 100) for c, d, a in rows], cal_end, start + timedelta(days=150)
    )
    assert np.all((0 <= s.recency) & (s.recency <= s.age))
    assert np.all(s.monetary[s.frequency == 0] == 0) and np.all(s.recency[s.frequency == 0] == 0)
    for i, customer in enumerate(s.customer_ids):
        days = {d for c, d, _ in rows if c == customer}
        cal_days = sorted(d for d in days if d <= 100)
        assert s.frequency[i] == len(cal_days) - 1
        assert s.age[i] * 7 == pytest.approx(100 - cal_days[0])
        assert s.holdout_frequency[i] == len([d for d in days if 100 < d <= 150])
        repeat_spend = sum(a for c, d, a in rows if c == customer and d in cal_days[1:]) / 100
        assert s.monetary[i] * s.frequency[i] == pytest.approx(repeat_spend)
    first_days = {c: min(d for cc, d, _ in rows if cc == c) for c, _, _ in rows}
    assert set(s.customer_ids) == {c for c, d in first_days.items() if d <= 100}
