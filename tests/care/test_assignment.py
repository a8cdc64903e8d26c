"""A/B assignment, hold-out control and uplift."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.care.assignment import CONTROL, assign
from guanxi.care.uplift import GroupFigures, uplift


def test_same_customer_same_variant():
    assert all(assign(7, 42, [("A", 1), ("B", 1)], 10) == assign(7, 42, [("A", 1), ("B", 1)], 10) for _ in range(5))


def test_split_follows_weights_and_control_share():
    counts = {"A": 0, "B": 0, CONTROL: 0}
    for cid in range(20_000):
        name, control = assign(3, cid, [("A", 3), ("B", 1)], 10)
        assert control == (name == CONTROL)
        counts[name] += 1
    assert 1_800 < counts[CONTROL] < 2_200
    assert 2.7 < counts["A"] / counts["B"] < 3.3


def test_no_control_when_zero_percent_and_everyone_when_hundred():
    assert all(not assign(1, cid, [("A", 1)], 0)[1] for cid in range(2000))
    assert all(assign(1, cid, [("A", 1)], 100) == (CONTROL, True) for cid in range(200))


def test_campaigns_split_independently():
    a = [assign(1, cid, [("A", 1), ("B", 1)], 0)[0] for cid in range(500)]
    b = [assign(2, cid, [("A", 1), ("B", 1)], 0)[0] for cid in range(500)]
    assert a != b


@pytest.mark.parametrize("variants, control", [([], 0), ([("A", 0)], 0), ([("A", 1)], 101), ([("A", 1)], -1)])
def test_bad_setups(variants, control):
    with pytest.raises(ValueError):
        assign(1, 1, variants, control)


@given(st.integers(1, 10**9), st.integers(1, 10**9), st.integers(0, 100),
       st.lists(st.integers(1, 10), min_size=1, max_size=4))
def test_always_a_known_variant(campaign, customer, control, weights):
    variants = [(f"v{i}", w) for i, w in enumerate(weights)]
    name, is_control = assign(campaign, customer, variants, control)
    assert name in {n for n, _ in variants} | {CONTROL}
    assert is_control == (name == CONTROL)


def test_uplift_against_control():
    report = uplift({"A": GroupFigures(1000, 80, 800_000), "B": GroupFigures(1000, 50, 400_000),
                     CONTROL: GroupFigures(200, 8, 60_000)})
    assert report["A"]["conversion_rate"] == 0.08
    assert report["A"]["conversion_uplift"] == pytest.approx(0.04)
    assert report["A"]["conversion_uplift_relative"] == pytest.approx(1.0)
    assert report["A"]["revenue_per_recipient_minor"] == 800
    assert report["A"]["revenue_uplift_per_recipient_minor"] == 500
    assert report["B"]["conversion_uplift"] == pytest.approx(0.01)
    assert report[CONTROL]["conversion_uplift"] is None


def test_uplift_without_control_or_recipients():
    report = uplift({"A": GroupFigures(10, 1, 100)})
    assert report["A"]["conversion_uplift"] is None
    report = uplift({"A": GroupFigures(0, 0, 0), CONTROL: GroupFigures(0, 0, 0)})
    assert report["A"]["conversion_rate"] == 0.0 and report["A"]["conversion_uplift"] is None
    report = uplift({"A": GroupFigures(10, 2, 100), CONTROL: GroupFigures(10, 0, 0)})
    assert report["A"]["conversion_uplift"] == pytest.approx(0.2) and report["A"]["conversion_uplift_relative"] is None
