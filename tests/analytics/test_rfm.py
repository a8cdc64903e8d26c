from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics import rfm
from guanxi.analytics.rfm import SEGMENTS, Segment, RfmScores

AS_OF = date(2024, 6, 30)


def test_hand_computed_values_and_scores():
    orders = [
        ("a", "2024-06-30", 100), ("a", "2024-06-01", 100), ("a", "2024-05-01", 100),
        ("b", "2024-06-20", 50), ("b", "2024-06-20", 30),
        ("c", "2024-03-01", 500),
        ("d", "2023-12-01", 5),
        ("e", "2023-06-30", 999),  # one day outside a 365-day window: not scored
        ("f", "2024-07-01", 999),  # after as_of: not counted
    ]
    ids, days, amounts = zip(*orders)
    values = rfm.rfm_values(ids, days, amounts, as_of=AS_OF)
    assert list(values.customer_ids) == ["a", "b", "c", "d"]
    assert list(values.recency_days) == [0, 10, 121, 212]
    assert list(values.frequency) == [3, 2, 1, 1]
    assert list(values.monetary) == [300, 80, 500, 5]

    scores = rfm.rfm_scores(values)
    # Four customers: share strictly worse is 0, 1/4, 2/4, 3/4 -> 1, 2, 3, 4.
    assert list(scores.recency) == [4, 3, 2, 1]
    assert list(scores.frequency) == [4, 3, 1, 1]  # c and d tie at one order: both 1
    assert list(scores.monetary) == [3, 2, 4, 1]
    assert list(scores.fm) == [3, 2, 2, 1]
    assert rfm.segments(scores) == [
        Segment.POTENTIAL_LOYALISTS, Segment.ABOUT_TO_SLEEP, Segment.HIBERNATING, Segment.LOST
    ]


def test_quintiles_of_an_even_spread_and_of_ties():
    assert list(rfm.quintile_scores(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(rfm.quintile_scores([7, 7, 7])) == [1, 1, 1]
    assert list(rfm.quintile_scores([1, 1, 1, 1, 1, 1, 2, 2, 3, 9])) == [1] * 6 + [4, 4, 5, 5]
    assert list(rfm.quintile_scores([3, 1, 2], higher_is_better=False)) == [1, 4, 2]
    assert len(rfm.quintile_scores([])) == 0
    with pytest.raises(ValueError):
        rfm.quintile_scores([1.0, float("nan")])


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=50), st.randoms())
def test_scores_ignore_input_order_and_respect_value_order(values, random):
    scores = dict(zip(values, rfm.quintile_scores(values)))
    shuffled = list(values)
    random.shuffle(shuffled)
    assert dict(zip(shuffled, rfm.quintile_scores(shuffled))) == scores  # equal values, equal scores
    ordered = [scores[v] for v in sorted(scores)]
    assert ordered == sorted(ordered) and all(1 <= s <= 5 for s in ordered)
    assert scores[min(values)] == 1


def test_grid_covers_every_cell_and_all_eleven_segments():
    cells = {rfm.segment_of(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert cells == set(SEGMENTS) and len(SEGMENTS) == 11
    assert {s.label_en for s in SEGMENTS} >= {"Champions", "Can't Lose", "Lost", "About to Sleep"}
    assert all(s.label_zh and s.label_zh != s.label_en for s in SEGMENTS)
    assert Segment.CHAMPIONS.label_zh == "冠军客户"


@pytest.mark.parametrize(
    "r, f, m, segment",
    [
        (5, 5, 5, Segment.CHAMPIONS), (5, 4, 4, Segment.CHAMPIONS),
        (5, 4, 3, Segment.POTENTIAL_LOYALISTS),  # FM rounds down to 3
        (5, 1, 1, Segment.NEW), (5, 1, 2, Segment.NEW), (5, 1, 3, Segment.POTENTIAL_LOYALISTS),
        (4, 1, 1, Segment.PROMISING), (4, 5, 4, Segment.LOYAL), (3, 5, 5, Segment.LOYAL),
        (3, 3, 3, Segment.NEED_ATTENTION), (3, 2, 2, Segment.ABOUT_TO_SLEEP), (3, 1, 1, Segment.ABOUT_TO_SLEEP),
        (2, 3, 3, Segment.AT_RISK), (1, 4, 4, Segment.AT_RISK), (2, 5, 5, Segment.CANT_LOSE),
        (1, 5, 5, Segment.CANT_LOSE), (2, 2, 2, Segment.HIBERNATING), (1, 2, 2, Segment.LOST), (1, 1, 1, Segment.LOST),
    ],
)
def test_segment_edges(r, f, m, segment):
    scores = RfmScores(np.array([r], np.int8), np.array([f], np.int8), np.array([m], np.int8))
    assert rfm.segments(scores) == [segment]
    assert rfm.segment_of(r, int(rfm.fm_score(f, m))) is segment


@pytest.mark.parametrize("r, fm", [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_scores_outside_one_to_five_are_refused(r, fm):
    with pytest.raises(ValueError, match="1..5"):
        rfm.segment_of(r, fm)


def test_movements_between_snapshots():
    before = {"a": Segment.CHAMPIONS, "b": Segment.AT_RISK, "c": Segment.LOST}
    after = {"a": Segment.AT_RISK, "b": Segment.AT_RISK, "d": Segment.NEW}
    assert rfm.segment_movements(before, after) == {
        (Segment.CHAMPIONS, Segment.AT_RISK): 1,
        (Segment.AT_RISK, Segment.AT_RISK): 1,
        (Segment.LOST, None): 1,
        (None, Segment.NEW): 1,
    }
