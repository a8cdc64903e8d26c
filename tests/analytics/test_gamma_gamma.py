"""Gamma-Gamma against Fader, Hardie & Lee (2005, "RFM and CLV") on the CDNOW sample."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics import gamma_gamma
from guanxi.analytics.gamma_gamma import GammaGammaParams

PUBLISHED = GammaGammaParams(p=6.25, q=3.74, gamma=15.44)


def test_reproduces_the_published_cdnow_fit(cdnow_sample):
    """The published figures are for the mean spend of the repeat purchase days (the first
    purchase left out, same-day purchases summed) of the 946 repeaters, in dollars."""
    s = cdnow_sample
    fit = gamma_gamma.fit_gamma_gamma(s.frequency, s.monetary)
    assert fit.converged and fit.customers == 946
    for name in ("p", "q", "gamma"):
        assert getattr(fit.params, name) == pytest.approx(getattr(PUBLISHED, name), rel=0.01), name


def test_gradient_matches_finite_differences(cdnow_sample):
    s = cdnow_sample
    for params in (PUBLISHED, GammaGammaParams(1.0, 1.0, 1.0), GammaGammaParams(0.3, 20.0, 400.0)):
        _, grad = gamma_gamma.log_likelihood_and_gradient(params, s.frequency, s.monetary)
        theta = np.array([params.p, params.q, params.gamma])
        numeric = np.empty(3)
        for i in range(3):
            h = 1e-6 * theta[i]
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            numeric[i] = (
                gamma_gamma.log_likelihood_and_gradient(GammaGammaParams(*up), s.frequency, s.monetary)[0]
                - gamma_gamma.log_likelihood_and_gradient(GammaGammaParams(*down), s.frequency, s.monetary)[0]
            ) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)


def test_scale_follows_the_currency_unit(cdnow_sample):
    s = cdnow_sample
    cents = gamma_gamma.fit_gamma_gamma(s.frequency, s.monetary * 100).params
    assert (cents.p, cents.q, cents.gamma / 100) == pytest.approx((6.25, 3.74, 15.44), rel=0.01)


@given(st.integers(0, 500), st.floats(0.01, 1e5))
def test_expected_spend_lies_between_the_population_and_the_customer(x, m):
    population = PUBLISHED.p * PUBLISHED.gamma / (PUBLISHED.q - 1)
    spend = float(gamma_gamma.expected_spend(PUBLISHED, x, m))
    if x == 0:
        assert spend == pytest.approx(population)
    else:
        assert min(population, m) * (1 - 1e-12) <= spend <= max(population, m) * (1 + 1e-12)


def test_recovers_its_own_parameters_from_simulation():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 10, 100_000).astype(float)
    fit = gamma_gamma.fit_gamma_gamma(x, gamma_gamma.simulate(PUBLISHED, x, rng))
    assert (fit.params.p, fit.params.q, fit.params.gamma) == pytest.approx((6.25, 3.74, 15.44), rel=0.05)


def test_refuses_an_infinite_population_mean():
    with pytest.raises(ValueError, match="q = 0.5"):
        gamma_gamma.expected_spend(GammaGammaParams(1.0, 0.5, 1.0), [1], [10.0])


def test_condensed_likelihood_equals_the_sum_over_customers(cdnow_sample):
    """The fit evaluates distinct (x, mean spend) pairs with counts; the total must be the
    per-customer density of the paper summed over every repeater."""
    from scipy.special import gammaln

    s = cdnow_sample
    x, m = s.frequency[s.frequency > 0], s.monetary[s.frequency > 0]
    x, m = np.r_[x, x[:100]], np.r_[m, m[:100]]  # duplicates, so that some pairs carry weight 2
    for params in (PUBLISHED, GammaGammaParams(0.3, 20.0, 400.0)):
        p, q, g = params.p, params.q, params.gamma
        per_customer = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g) + p * x * np.log(x)
                        + (p * x - 1) * np.log(m) - (p * x + q) * np.log(g + m * x))
        ll, _ = gamma_gamma.log_likelihood_and_gradient(params, x, m)
        assert ll == pytest.approx(per_customer.sum(), rel=1e-12)


def test_a_weighted_fit_equals_the_fit_on_the_repeated_rows(cdnow_sample):
    s = cdnow_sample
    weights = np.random.default_rng(11).integers(0, 4, len(s))
    weighted = gamma_gamma.fit_gamma_gamma(s.frequency, s.monetary, weights=weights)
    repeated = gamma_gamma.fit_gamma_gamma(np.repeat(s.frequency, weights), np.repeat(s.monetary, weights))
    assert weighted.customers == repeated.customers == int(weights[(s.frequency > 0) & (s.monetary > 0)].sum())
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-12)
    for name in ("p", "q", "gamma"):
        assert getattr(weighted.params, name) == pytest.approx(getattr(repeated.params, name), rel=1e-6), name
    once = gamma_gamma.fit_gamma_gamma(s.frequency, s.monetary)
    tiled = gamma_gamma.fit_gamma_gamma(np.tile(s.frequency, 43), np.tile(s.monetary, 43))
    assert tiled.customers == 43 * once.customers
    for name in ("p", "q", "gamma"):
        assert getattr(tiled.params, name) == pytest.approx(getattr(once.params, name), rel=1e-6), name
