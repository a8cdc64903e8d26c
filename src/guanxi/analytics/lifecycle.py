"""Lifecycle stages with thresholds taken from the shop's own rhythm of buying.

A shop selling coffee beans and one selling sofas cannot share "at risk after 90 days". The
thresholds here are quantiles of the gaps between consecutive purchase days of all the shop's
repeat buyers:

- ``at_risk_after``: the 80th percentile gap. Four repeat purchases in five come sooner, so a
  customer quiet for longer is already overdue by the shop's own standard;
- ``churned_after``: the 95th percentile gap. Hardly anyone who still buys waits this long.

Stages, first match wins:

    prospect   no purchase yet
    churned    quiet for more than churned_after
    at_risk    quiet for more than at_risk_after
    won_back   the gap before the latest purchase was longer than churned_after (lapsed, came back)
    new        one purchase so far
    active     everyone else
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from guanxi.analytics.labels import LabelledEnum


class Stage(LabelledEnum):
    PROSPECT = ("prospect", "Prospect", "潜在客户")
    NEW = ("new", "New", "新客户")
    ACTIVE = ("active", "Active", "活跃客户")
    AT_RISK = ("at_risk", "At risk", "流失预警")
    CHURNED = ("churned", "Churned", "已流失")
    WON_BACK = ("won_back", "Won back", "已挽回")


STAGES: tuple[Stage, ...] = tuple(Stage)
AT_RISK_QUANTILE = 0.80
CHURNED_QUANTILE = 0.95
MIN_GAPS = 20  # fewer repeat purchases than this say little about the shop's rhythm
# Used only until the shop has MIN_GAPS repeat purchases: a season and a year.
FALLBACK_AT_RISK_DAYS, FALLBACK_CHURNED_DAYS = 90.0, 365.0


@dataclass(frozen=True)
class Thresholds:
    at_risk_after: float  # days
    churned_after: float  # days
    gaps: int             # inter-purchase gaps they were derived from
    derived: bool         # False: too few gaps, the fallback days are in use

    def as_dict(self) -> dict:
        return asdict(self)


def purchase_gaps(customer, day) -> np.ndarray:
    """Days between consecutive distinct purchase days of the same customer.

    ``customer`` and ``day`` (integer day numbers) are parallel arrays in any order.
    """
    customer = np.asarray(customer)
    day = np.asarray(day, dtype=np.int64)
    if len(day) == 0:
        return np.zeros(0)
    order = np.lexsort((day, customer))
    customer, day = customer[order], day[order]
    same = customer[1:] == customer[:-1]
    gaps = (day[1:] - day[:-1])[same]
    return gaps[gaps > 0].astype(np.float64)


def thresholds(gaps) -> Thresholds:
    gaps = np.asarray(gaps, dtype=np.float64)
    if len(gaps) < MIN_GAPS:
        return Thresholds(FALLBACK_AT_RISK_DAYS, FALLBACK_CHURNED_DAYS, len(gaps), False)
    at_risk, churned = np.quantile(gaps, [AT_RISK_QUANTILE, CHURNED_QUANTILE])
    return Thresholds(float(at_risk), float(max(churned, at_risk)), len(gaps), True)


def stages(purchase_days, days_since_last, last_gap, limits: Thresholds) -> np.ndarray:
    """Each customer's stage (as a ``Stage`` value string), vectorised.

    ``purchase_days``: distinct purchase days so far (0 for a prospect); ``days_since_last``:
    days from the latest purchase to today; ``last_gap``: days between the latest purchase and
    the one before it (ignored for one-time buyers).
    """
    n = np.asarray(purchase_days)
    quiet = np.asarray(days_since_last, dtype=np.float64)
    gap = np.asarray(last_gap, dtype=np.float64)
    return np.select(
        [n == 0, quiet > limits.churned_after, quiet > limits.at_risk_after,
         (n >= 2) & (gap > limits.churned_after), n == 1],
        [Stage.PROSPECT.value, Stage.CHURNED.value, Stage.AT_RISK.value, Stage.WON_BACK.value, Stage.NEW.value],
        default=Stage.ACTIVE.value,
    ).astype(object)
