import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics import bgnbd, gamma_gamma
from guanxi.analytics.bgnbd import BgNbdParams
from guanxi.analytics.clv import WEEKS_PER_MONTH, customer_lifetime_value
from guanxi.analytics.gamma_gamma import GammaGammaParams

PURCHASES = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
SPEND = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)
X, T_X, T, M = np.array([0.0, 2, 7]), np.array([0.0, 30, 38]), np.array([38.0, 38, 39]), np.array([0.0, 40, 25])


def test_matches_a_month_by_month_hand_computation():
    value = customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, horizon_months=3, annual_discount_rate=0.12, margin=0.3)
    spend = gamma_gamma.expected_spend(SPEND, X, M)
    cumulative = [np.zeros(3)] + [bgnbd.expected_purchases(PURCHASES, k * WEEKS_PER_MONTH, X, T_X, T) for k in (1, 2, 3)]
    by_hand = sum(0.3 * spend * (cumulative[k] - cumulative[k - 1]) / 1.12 ** (k / 12) for k in (1, 2, 3))
    np.testing.assert_allclose(value, by_hand, rtol=1e-12)


def test_no_horizon_no_value_and_margin_scales_linearly():
    assert np.all(customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, horizon_months=0) == 0)
    full = customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, margin=1.0)
    np.testing.assert_allclose(customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, margin=0.25), full / 4)


@given(st.integers(1, 60), st.floats(0, 0.5))
def test_longer_is_worth_more_and_discounting_is_worth_less(months, rate):
    base = customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, horizon_months=months, annual_discount_rate=rate)
    longer = customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, horizon_months=months + 1, annual_discount_rate=rate)
    steeper = customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, horizon_months=months, annual_discount_rate=rate + 0.1)
    assert np.all(base > 0) and np.all(longer >= base) and np.all(steeper < base)


def test_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, horizon_months=-1)
    with pytest.raises(ValueError):
        customer_lifetime_value(PURCHASES, SPEND, X, T_X, T, M, annual_discount_rate=-1)
