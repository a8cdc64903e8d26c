"""BG/NBD against Fader, Hardie & Lee (2005) and against its own simulation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.analytics import bgnbd
from guanxi.analytics.bgnbd import BgNbdParams

PUBLISHED = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
PUBLISHED_LOG_LIKELIHOOD = -9582.4


def test_reproduces_the_published_cdnow_fit(cdnow_sample):
    s = cdnow_sample
    assert (len(s), int(s.frequency.sum()), int((s.frequency > 0).sum())) == (2357, 2457, 946)
    fit = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age)
    assert fit.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fit.params, name) == pytest.approx(getattr(PUBLISHED, name), rel=0.01), name
    assert fit.log_likelihood == pytest.approx(PUBLISHED_LOG_LIKELIHOOD, abs=0.1)


def finite_difference(f, theta, step=1e-6):
    grad = np.empty_like(theta)
    for i in range(len(theta)):
        h = step * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.mark.parametrize(
    "params", [PUBLISHED, BgNbdParams(1.0, 1.0, 1.0, 1.0), BgNbdParams(3.0, 0.2, 0.05, 40.0), BgNbdParams(0.01, 80, 6, 0.3)]
)
def test_gradient_matches_finite_differences(cdnow_sample, params):
    s = cdnow_sample
    _, grad = bgnbd.log_likelihood_and_gradient(params, s.frequency, s.recency, s.age)

    def ll(theta):
        return bgnbd.log_likelihood_and_gradient(BgNbdParams(*theta), s.frequency, s.recency, s.age)[0]

    theta = np.array([params.r, params.alpha, params.a, params.b])
    np.testing.assert_allclose(grad, finite_difference(ll, theta), rtol=1e-5, atol=1e-4)


def test_log_likelihood_matches_the_two_term_form_of_the_paper():
    x, t_x, T = np.array([0.0, 1, 5, 30]), np.array([0.0, 2, 30, 38]), np.array([10.0, 20, 38, 39])
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    from scipy.special import beta, gamma

    direct = np.log(
        beta(a, b + x) / beta(a, b) * gamma(r + x) / gamma(r) * alpha**r / (alpha + T) ** (r + x)
        + (x > 0) * beta(a + 1, np.maximum(b + x - 1, 1e-9)) / beta(a, b) * gamma(r + x) / gamma(r)
        * alpha**r / (alpha + t_x) ** (r + x)
    ).sum()
    assert bgnbd.log_likelihood_and_gradient(PUBLISHED, x, t_x, T)[0] == pytest.approx(direct, rel=1e-12)


customers = st.integers(0, 200).flatmap(
    lambda x: st.tuples(
        st.just(float(x)),
        st.floats(0, 500) if x else st.just(0.0),
        st.floats(0, 500),
    ).map(lambda c: (c[0], min(c[1], c[2]) if c[0] else 0.0, max(c[1], c[2])))
)
positive = st.floats(1e-3, 1e3)


@given(st.lists(customers, min_size=1, max_size=20), positive, positive, positive, positive)
def test_p_alive_is_a_probability_and_1_without_repeats(rows, r, alpha, a, b):
    x, t_x, T = map(np.array, zip(*rows))
    alive = bgnbd.p_alive(BgNbdParams(r, alpha, a, b), x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(alive[x == 0] == 1)


@given(st.lists(customers, min_size=1, max_size=10), st.floats(0.1, 100))
def test_expected_purchases_grow_with_the_horizon(rows, t):
    x, t_x, T = map(np.array, zip(*rows))
    near = bgnbd.expected_purchases(PUBLISHED, t, x, t_x, T)
    far = bgnbd.expected_purchases(PUBLISHED, 2 * t, x, t_x, T)
    assert np.all(near >= 0) and np.all(far >= near)
    assert np.all(bgnbd.expected_purchases(PUBLISHED, 0.0, x, t_x, T) == 0)


def test_a_recent_buyer_is_likelier_alive_than_a_lapsed_one():
    alive = bgnbd.p_alive(PUBLISHED, [5, 5], [38, 5], [39, 39])
    assert alive[0] > 0.85 and alive[1] < 0.05


def test_shared_horizons_agree_with_one_at_a_time(cdnow_sample):
    s = cdnow_sample
    horizons = [1.0, 13.0, 52.0]
    together = list(bgnbd.expected_purchases_over(PUBLISHED, horizons, s.frequency, s.recency, s.age))
    for t, values in zip(horizons, together):
        np.testing.assert_allclose(values, bgnbd.expected_purchases(PUBLISHED, t, s.frequency, s.recency, s.age), rtol=1e-12)
    new = bgnbd.expected_purchases_new(PUBLISHED, np.array([1.0, 52.0]))
    np.testing.assert_allclose(new, bgnbd.expected_purchases(PUBLISHED, [1.0, 52.0], 0, 0, 0), rtol=1e-12)


def test_predictions_match_the_process_they_model():
    """Simulated holdout purchases average what expected_purchases says, overall and by x;
    and fitting the simulated calibration data gives back the parameters."""
    rng = np.random.default_rng(2005)
    T = rng.integers(0, 84, 200_000) / 7 + 27  # first purchases spread over 12 weeks, as at CDNOW
    x, t_x, holdout = bgnbd.simulate(PUBLISHED, T, rng, holdout=39.0)
    expected = bgnbd.expected_purchases(PUBLISHED, 39.0, x, t_x, T)
    assert expected.mean() == pytest.approx(holdout.mean(), rel=0.02)
    for k in range(4):
        assert expected[x == k].mean() == pytest.approx(holdout[x == k].mean(), rel=0.05), k
    assert bgnbd.expected_purchases_new(PUBLISHED, T).mean() == pytest.approx(x.mean(), rel=0.02)

    fit = bgnbd.fit_bgnbd(x, t_x, T)
    assert fit.params.r == pytest.approx(PUBLISHED.r, rel=0.05)
    assert fit.params.alpha == pytest.approx(PUBLISHED.alpha, rel=0.05)
    assert fit.params.a == pytest.approx(PUBLISHED.a, rel=0.1)
    assert fit.params.b == pytest.approx(PUBLISHED.b, rel=0.1)


def test_rejects_impossible_summaries():
    with pytest.raises(ValueError, match="recency <= age"):
        bgnbd.fit_bgnbd([1], [5], [4])
    with pytest.raises(ValueError, match="recency must be 0"):
        bgnbd.fit_bgnbd([0], [1], [4])
    with pytest.raises(ValueError, match="without customers"):
        bgnbd.fit_bgnbd([], [], [])


def paper_form(params, t, x, T, terms=400):
    """Eq. 10 as printed, its 2F1 summed term by term (converges fast for z <= 0.5)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    term, series = 1.0, 1.0
    for n in range(terms):
        term *= (r + x + n) * (b + x + n) / ((a + b + x - 1 + n) * (n + 1)) * z
        series += term
    return (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * series)


@pytest.mark.parametrize("params", [PUBLISHED, BgNbdParams(2.0, 0.5, 3.0, 1.0), BgNbdParams(0.05, 50, 0.1, 0.2)])
@pytest.mark.parametrize("x, T, t", [(0, 0, 4), (0, 30, 20), (3, 39, 39), (40, 52, 20)])
def test_transformed_formula_equals_the_paper(params, x, T, t):
    assert bgnbd.expected_purchases(params, t, x, 0, T) / bgnbd.p_alive(params, x, 0, T) == pytest.approx(
        paper_form(params, t, x, T), rel=1e-9
    )


def test_heavy_buyers_over_long_horizons_stay_finite():
    """Daily buyers over five years: the printed formula gives NaN (0 * inf) here."""
    x = np.arange(1.0, 2000.0)  # each bought on their last day, 52 weeks after the first
    for params in (PUBLISHED, BgNbdParams(2.0, 0.5, 3.0, 1.0)):  # the second hits SciPy's integer branch
        expected = bgnbd.expected_purchases(params, 260.0, x, np.full_like(x, 52.0), np.full_like(x, 52.0))
        assert np.all(np.isfinite(expected)) and np.all(np.diff(expected) > 0)


def paper_log_likelihood(params, x, t_x, T):
    """Each customer's log-likelihood straight from the paper's two terms, no grouping at all."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    active = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    left = betaln(a + 1, np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x)
    return common + np.where(x > 0, np.logaddexp(active, left), active)


def test_condensed_likelihood_equals_the_sum_over_customers(cdnow_sample):
    """The fit evaluates distinct (x, t_x, T) triples with counts; CDNOW_sample has many
    duplicates (all non-repeaters of one first-purchase day), and the total must not change."""
    s = cdnow_sample
    condensed = bgnbd._Customers(s.frequency, s.recency, s.age)
    assert len(condensed.rep_x) + len(condensed.distinct_T) < len(s) / 2  # it did condense
    for params in (PUBLISHED, BgNbdParams(3.0, 0.2, 0.05, 40.0)):
        per_customer = paper_log_likelihood(params, s.frequency, s.recency, s.age).sum()
        ll, _ = bgnbd.log_likelihood_and_gradient(params, s.frequency, s.recency, s.age)
        assert ll == pytest.approx(per_customer, rel=1e-12)


def test_a_weighted_fit_equals_the_fit_on_the_repeated_rows(cdnow_sample):
    s = cdnow_sample
    weights = np.random.default_rng(7).integers(0, 4, len(s))  # 0 drops a row
    weighted = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age, weights=weights)
    repeated = bgnbd.fit_bgnbd(*(np.repeat(v, weights) for v in (s.frequency, s.recency, s.age)))
    assert weighted.customers == repeated.customers == int(weights.sum())
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-12)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(weighted.params, name) == pytest.approx(getattr(repeated.params, name), rel=1e-6), name
    # ...and the weighted gradient is that of the repeated rows, away from the optimum too.
    params = BgNbdParams(1.0, 2.0, 0.5, 3.0)
    np.testing.assert_allclose(
        bgnbd.log_likelihood_and_gradient(params, s.frequency, s.recency, s.age, weights=weights)[1],
        bgnbd.log_likelihood_and_gradient(params, *(np.repeat(v, weights) for v in (s.frequency, s.recency, s.age)))[1],
        rtol=1e-10,
    )


def test_fitting_copies_of_the_customers_gives_the_same_parameters(cdnow_sample):
    """43 copies of every customer (the benchmark's million) are the same distinct triples."""
    s = cdnow_sample
    once = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age)
    many = bgnbd.fit_bgnbd(*(np.tile(v, 43) for v in (s.frequency, s.recency, s.age)))
    assert many.customers == 43 * once.customers
    assert many.log_likelihood == pytest.approx(43 * once.log_likelihood, rel=1e-12)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(many.params, name) == pytest.approx(getattr(once.params, name), rel=1e-6), name


@pytest.mark.parametrize("weights, complaint", [([1, -1], "not negative"), ([1, np.nan], "finite"), ([1], "one per row")])
def test_rejects_bad_weights(weights, complaint):
    with pytest.raises(ValueError, match=complaint):
        bgnbd.fit_bgnbd([0, 1], [0, 2], [4, 4], weights=weights)
