"""Customer lifetime value: discounted expected purchases times expected margin per purchase.

    CLV = margin * E[spend | x, m] * sum over months i = 1..H of
          (E[Y(i months) | x, t_x, T] - E[Y((i-1) months) | x, t_x, T]) / (1 + d)^(i / 12)

the approach of the `lifetimes` package and of Fader, Hardie & Lee's iso-value paper in
discrete form: expected purchases month by month from BG/NBD, each month's purchases valued
at the Gamma-Gamma expected spend and discounted to today at the end of its month. It
assumes, as both models do, that how often a customer buys and how much they spend are
independent.
"""

from __future__ import annotations

import numpy as np

from guanxi.analytics import bgnbd, gamma_gamma
from guanxi.analytics.bgnbd import BgNbdParams
from guanxi.analytics.gamma_gamma import GammaGammaParams

WEEKS_PER_MONTH = 365.25 / 12 / 7  # summaries are in weeks, horizons in calendar months


def customer_lifetime_value(
    purchases: BgNbdParams,
    spend: GammaGammaParams,
    frequency,
    recency,
    age,
    monetary,
    *,
    horizon_months: int = 12,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    weeks_per_month: float = WEEKS_PER_MONTH,
) -> np.ndarray:
    """CLV of each customer over the next ``horizon_months``, in the unit of ``monetary``.

    ``margin`` is the share of spend that is profit (1.0 gives discounted revenue);
    ``annual_discount_rate`` is compounded monthly as (1 + d)^(month / 12).
    """
    if horizon_months < 0:
        raise ValueError("horizon_months must not be negative")
    if annual_discount_rate <= -1:
        raise ValueError("annual_discount_rate must be above -100%")
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, age))
    per_purchase = margin * gamma_gamma.expected_spend(spend, x, monetary)
    discounted = np.zeros_like(x)
    before = np.zeros_like(x)
    horizons = np.arange(1, horizon_months + 1) * weeks_per_month
    cumulative_by_month = bgnbd.expected_purchases_over(purchases, horizons, x, t_x, T)
    for month, cumulative in enumerate(cumulative_by_month, start=1):
        discounted += (cumulative - before) / (1.0 + annual_discount_rate) ** (month / 12)
        before = cumulative
    return per_purchase * discounted
