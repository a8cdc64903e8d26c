"""RFM: recency, frequency and monetary quintile scores, and the eleven named segments.

Scores are relative to the shop's own customers: 5 is the best fifth, 1 the worst. A
customer's score is 1 + floor(5 * share of customers strictly worse), so equal values always
share a score, the order of the input never matters, and customers who all bought exactly
once get frequency 1 rather than an arbitrary spread across quintiles.

Segments come from R and FM = floor((F + M) / 2) through the common R x FM grid (the one
popularised by Putler and copied by most RFM tools), with the overlaps of its published
ranges resolved so that each of the 25 cells has exactly one segment:

    FM:   1               2                3                4           5
    R 5   New             Potential Loyal. Potential Loyal. Champions   Champions
    R 4   Promising       Potential Loyal. Potential Loyal. Loyal       Loyal
    R 3   About to Sleep  About to Sleep   Need Attention   Loyal       Loyal
    R 2   Hibernating     Hibernating      At Risk          At Risk     Can't Lose
    R 1   Lost            Lost             At Risk          At Risk     Can't Lose
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from guanxi.analytics.labels import LabelledEnum


class Segment(LabelledEnum):
    CHAMPIONS = ("champions", "Champions", "冠军客户")
    LOYAL = ("loyal", "Loyal", "忠诚客户")
    POTENTIAL_LOYALISTS = ("potential_loyalists", "Potential Loyalists", "潜在忠诚客户")
    NEW = ("new", "New", "新客户")
    PROMISING = ("promising", "Promising", "有潜力客户")
    NEED_ATTENTION = ("need_attention", "Need Attention", "需要关注客户")
    ABOUT_TO_SLEEP = ("about_to_sleep", "About to Sleep", "即将沉睡客户")
    AT_RISK = ("at_risk", "At Risk", "流失风险客户")
    CANT_LOSE = ("cant_lose", "Can't Lose", "不能失去的客户")
    HIBERNATING = ("hibernating", "Hibernating", "沉睡客户")
    LOST = ("lost", "Lost", "已流失客户")


SEGMENTS: tuple[Segment, ...] = tuple(Segment)

_S = Segment
# SEGMENT_GRID[R - 1][FM - 1]; rows from R = 1 up, as the module docstring shows them down.
SEGMENT_GRID: tuple[tuple[Segment, ...], ...] = (
    (_S.LOST, _S.LOST, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE),
    (_S.HIBERNATING, _S.HIBERNATING, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE),
    (_S.ABOUT_TO_SLEEP, _S.ABOUT_TO_SLEEP, _S.NEED_ATTENTION, _S.LOYAL, _S.LOYAL),
    (_S.PROMISING, _S.POTENTIAL_LOYALISTS, _S.POTENTIAL_LOYALISTS, _S.LOYAL, _S.LOYAL),
    (_S.NEW, _S.POTENTIAL_LOYALISTS, _S.POTENTIAL_LOYALISTS, _S.CHAMPIONS, _S.CHAMPIONS),
)
_GRID_CODES = np.array([[SEGMENTS.index(s) for s in row] for row in SEGMENT_GRID], dtype=np.int8)


@dataclass(frozen=True)
class RfmValues:
    customer_ids: np.ndarray
    recency_days: np.ndarray  # days from the last order in the window to as_of
    frequency: np.ndarray  # orders in the window
    monetary: np.ndarray  # spend in the window, in the unit of the amounts given


@dataclass(frozen=True)
class RfmScores:
    recency: np.ndarray
    frequency: np.ndarray
    monetary: np.ndarray

    @property
    def fm(self) -> np.ndarray:
        return fm_score(self.frequency, self.monetary)


def rfm_values(customer_ids, dates, amounts, *, as_of: date, window_days: int = 365) -> RfmValues:
    """Recency, frequency and monetary value of each customer from parallel order arrays.

    Orders count when ``as_of - window_days < date <= as_of``; customers without an order in
    the window are not scored at all (they are outside the population being ranked).
    """
    if window_days <= 0:
        raise ValueError("window_days must be positive")
    customer_ids = np.asarray(customer_ids)
    days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    amounts = np.asarray(amounts, dtype=np.float64)
    end = int(np.datetime64(as_of, "D").astype(np.int64))
    inside = (days <= end) & (days > end - window_days)
    ids, customer = np.unique(customer_ids[inside], return_inverse=True)
    last = np.full(len(ids), np.iinfo(np.int64).min)
    np.maximum.at(last, customer, days[inside])
    return RfmValues(
        customer_ids=ids,
        recency_days=end - last,
        frequency=np.bincount(customer, minlength=len(ids)),
        monetary=np.bincount(customer, weights=amounts[inside], minlength=len(ids)),
    )


def quintile_scores(values, *, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1..5: 1 + floor(5 * share of all values strictly worse than this one)."""
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError("cannot score NaN")
    ranked = values if higher_is_better else -values
    worse = np.searchsorted(np.sort(ranked), ranked, side="left")
    n = max(len(values), 1)
    return (1 + (5 * worse) // n).astype(np.int8)


def rfm_scores(values: RfmValues) -> RfmScores:
    """Quintile scores; a lower recency (a more recent order) scores higher."""
    return RfmScores(
        recency=quintile_scores(values.recency_days, higher_is_better=False),
        frequency=quintile_scores(values.frequency),
        monetary=quintile_scores(values.monetary),
    )


def fm_score(frequency, monetary) -> np.ndarray:
    # Rounded down: a customer is "high FM" only when both sides are high, not one alone.
    return (np.asarray(frequency, dtype=np.int8) + np.asarray(monetary, dtype=np.int8)) // 2


def segment_of(recency: int, fm: int) -> Segment:
    """The segment of one (R, FM) pair of scores in 1..5."""
    if not (1 <= recency <= 5 and 1 <= fm <= 5):
        raise ValueError(f"scores must be in 1..5, got R={recency}, FM={fm}")
    return SEGMENT_GRID[recency - 1][fm - 1]


def segment_codes(scores: RfmScores) -> np.ndarray:
    """Each customer's segment as an index into ``SEGMENTS`` (int8, vectorised)."""
    return _GRID_CODES[scores.recency - 1, scores.fm - 1]


def segments(scores: RfmScores) -> list[Segment]:
    return [SEGMENTS[code] for code in segment_codes(scores)]


def segment_movements(
    before: Mapping[Hashable, Segment], after: Mapping[Hashable, Segment]
) -> Counter[tuple[Segment | None, Segment | None]]:
    """Customers moving between segments from one snapshot to the next (e.g. month on month).

    Keys are (from, to); ``None`` stands for "not scored" on that side, so customers who
    start or stop being scored show up as (None, segment) and (segment, None).
    """
    moves: Counter[tuple[Segment | None, Segment | None]] = Counter()
    for customer in before.keys() | after.keys():
        moves[(before.get(customer), after.get(customer))] += 1
    return moves
