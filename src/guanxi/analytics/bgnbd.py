"""BG/NBD: how many purchases a customer will make, and whether they are still a customer.

Fader, Hardie & Lee (2005), "Counting your customers the easy way". While active, a customer
buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat purchase they drop out for
good with probability p ~ Beta(a, b). A customer is summarised by x (repeat purchases),
t_x (time of the last one) and T (time since the first purchase), all in one time unit.

The log-likelihood per customer is

    ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b) - (r+x) ln(alpha+T)
      + [x > 0] softplus(D),
    D = ln a - ln(b+x-1) + (r+x) (ln(alpha+T) - ln(alpha+t_x)),

which is the paper's sum of two terms with the first one factored out: softplus keeps it
finite where the ratio of the two terms over- or underflows. Terms that depend on x alone are
summed once per distinct x (a few dozen values) instead of once per customer, so a fit over
a million customers costs a handful of vector operations per iteration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import astuple, dataclass

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1

from guanxi.analytics.log_space import Fit, distinct_rows, maximize_log_likelihood


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float


BgNbdFit = Fit[BgNbdParams]


def fit_bgnbd(frequency, recency, age, *, weights=None, start: BgNbdParams | None = None) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for the customers (x, t_x, T).

    ``weights``: how many customers each row stands for (default 1 each), so a shop can pass
    its (x, t_x, T) table already condensed; the fit is the same as on the rows repeated.
    """
    customers = _Customers(frequency, recency, age, weights)
    if customers.n == 0:
        raise ValueError("cannot fit BG/NBD without customers")
    return maximize_log_likelihood(customers.log_likelihood_and_gradient, start or customers.first_guess(),
                                   customers.n)


def log_likelihood_and_gradient(params: BgNbdParams, frequency, recency, age, *, weights=None) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to (r, alpha, a, b)."""
    return _Customers(frequency, recency, age, weights).log_likelihood_and_gradient(np.array(astuple(params)))


def p_alive(params: BgNbdParams, frequency, recency, age) -> np.ndarray:
    """Probability that each customer is still active at the end of their calibration period.

    Exactly 1 for customers without repeat purchases: in BG/NBD a customer can only drop out
    right after a repeat purchase.
    """
    x, t_x, T = _as_arrays(frequency, recency, age)
    return np.where(x > 0, expit(-_dropout_log_odds(params, x, t_x, T)), 1.0)


def expected_purchases(params: BgNbdParams, t, frequency, recency, age) -> np.ndarray:
    """Expected purchases in the next ``t`` time units, given each customer's (x, t_x, T).

    Fader, Hardie & Lee (2005), eq. 10. ``t`` broadcasts against the customers. The formula
    divides by (a - 1); a fitted a of exactly 1 would need the limit and is not handled.
    """
    x, t_x, T = _as_arrays(frequency, recency, age)
    t = np.asarray(t, dtype=np.float64)
    return _purchases_if_alive(params, t, x, T) * p_alive(params, x, t_x, T)


def expected_purchases_over(params: BgNbdParams, horizons, frequency, recency, age) -> Iterator[np.ndarray]:
    """Yield ``expected_purchases`` for each horizon in turn, sharing the work between them.

    The costly hypergeometric term depends on (x, T) alone, and with dates in days a
    million customers have only a few thousand distinct pairs: it is evaluated once per
    pair and horizon, P(alive) once per customer.
    """
    x, t_x, T = _as_arrays(frequency, recency, age)
    alive = p_alive(params, x, t_x, T)
    _, x_index = np.unique(x, return_inverse=True)
    _, T_index = np.unique(T, return_inverse=True)
    pair = x_index.astype(np.int64) * (T_index.max(initial=0) + 1) + T_index
    _, first, pair_index = np.unique(pair, return_index=True, return_inverse=True)
    for t in horizons:
        yield _purchases_if_alive(params, np.float64(t), x[first], T[first])[pair_index] * alive


def expected_purchases_new(params: BgNbdParams, t) -> np.ndarray:
    """Expected repeat purchases within ``t`` time units of a customer's first purchase.

    The unconditional E[X(t)] (eq. 9): the building block of the cumulative repeat-purchase
    curve of a cohort. It equals ``expected_purchases`` for x = t_x = T = 0.
    """
    zero = np.zeros(1)
    return _purchases_if_alive(params, np.asarray(t, dtype=np.float64), zero, zero)


def simulate(params: BgNbdParams, age, rng: np.random.Generator, holdout: float = 0.0):
    """Draw (x, t_x, holdout purchases) for customers of the given ages from the model.

    Vectorised: among the Poisson arrivals over the whole observation, the customer makes
    only the first K, K ~ Geometric(p) being the repeat purchase after which they leave; the
    arrival times are uniform order statistics, so the x-th of n is T * Beta(x, n - x + 1).
    """
    T = np.asarray(age, dtype=np.float64)
    n = len(T)
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    leave_after = rng.geometric(rng.beta(params.a, params.b, n))
    arrivals = rng.poisson(rate * (T + holdout))
    in_calibration = rng.binomial(arrivals, np.divide(T, T + holdout, out=np.ones(n), where=T + holdout > 0))
    x = np.minimum(leave_after, in_calibration)
    last = T * rng.beta(np.maximum(x, 1), in_calibration - x + 1)
    t_x = np.where(x > 0, last, 0.0)
    holdout_x = np.minimum(leave_after, arrivals) - x
    return x.astype(np.float64), t_x, holdout_x.astype(np.float64)


def _purchases_if_alive(params: BgNbdParams, t: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """(a+b+x-1)/(a-1) * (1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)), z = t/(alpha+T+t).

    Evaluated through Euler's transformation, (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) =
    (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): as written in the paper the power underflows
    and the 2F1 overflows for frequent buyers over long horizons (x = 300, two years) and
    their product is NaN; transformed, the 2F1 has small numerator parameters and a large
    denominator one, and its series converges at once.
    """
    r, alpha, a, b = astuple(params)
    horizon = alpha + T + t
    z = t / horizon
    c = a + b + x - 1.0
    series = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    failed = ~np.isfinite(series)
    if np.any(failed):
        # SciPy's branch for an integer c - a - b near z = 1 computes Gamma(c), which
        # overflows past c = 171 and gives NaN. The function is smooth in c: moving c by
        # 1e-9 leaves the value unchanged to ~1e-11 and steers SciPy off that branch.
        c, z, series = np.broadcast_arrays(c, z, series)
        series = series.copy()
        series[failed] = hyp2f1(a + b - 1.0 - r, a - 1.0, c[failed] + 1e-9, z[failed])
    # (1-z)^(a-1) via log1p keeps precision when t is small against alpha + T.
    with np.errstate(invalid="ignore", over="ignore"):
        tail = np.exp((a - 1.0) * np.log1p(-z)) * series
        result = (a + b + x - 1.0) / (a - 1.0) * (1.0 - tail)
    bad = ~np.isfinite(result)
    if np.any(bad):
        # A fit with a and b both huge (small shops, a nearly constant drop-out chance) makes
        # the power 0 and the series inf. In the limit a, b -> inf with p = a / (a + b) fixed,
        # 2F1(r+x, b+x; a+b+x-1; z) -> (1 - (1-p) z)^-(r+x), so the expectation tends to
        # (1 - ((1-z) / (1 - (1-p) z))^(r+x)) / p.
        p = a / (a + b)
        x_b, z_b, result = np.broadcast_arrays(x, z, result)
        result = result.copy()
        xz, zz = x_b[bad], z_b[bad]
        result[bad] = -np.expm1((r + xz) * (np.log1p(-zz) - np.log1p(-(1.0 - p) * zz))) / p
    return result


def _dropout_log_odds(params: BgNbdParams, x, t_x, T) -> np.ndarray:
    """D = log of (likelihood of 'left after the last purchase' / 'still active')."""
    r, alpha, a, b = astuple(params)
    safe_x = np.maximum(x, 1.0)  # x = 0 never uses D; this only keeps ln(b + x - 1) defined
    return np.log(a) - np.log(b + safe_x - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))


def _as_arrays(frequency, recency, age):
    return (np.asarray(v, dtype=np.float64) for v in (frequency, recency, age))


class _Customers:
    """The data of a fit, arranged once so that each likelihood evaluation is cheap.

    Customers are condensed to distinct (x, t_x, T) triples weighted by how many customers
    share them: exact, since identical customers add identical terms. Terms in x alone are
    then grouped by distinct x, the -(r+x) ln(alpha+T) term by distinct T; only the softplus
    term is evaluated per distinct triple of repeat customers. ln(alpha+t) is taken once per
    distinct time (t_x and T together), which with dates in days is a few hundred values.
    """

    def __init__(self, frequency, recency, age, weights=None):
        x, t_x, T = np.broadcast_arrays(*_as_arrays(frequency, recency, age))
        if x.ndim != 1:
            raise ValueError("frequency, recency and age must be one-dimensional")
        if not (np.all(x >= 0) and np.all(t_x >= 0) and np.all(t_x <= T)):
            raise ValueError("need frequency >= 0 and 0 <= recency <= age for every customer")
        if np.any((x == 0) & (t_x != 0)):
            raise ValueError("recency must be 0 for customers without repeat purchases")
        (x, T, t_x), w = distinct_rows((x, T, t_x), weights)
        self.n = float(w.sum())
        self.distinct_x, x_index = np.unique(x, return_inverse=True)
        self.x_counts = np.bincount(x_index, weights=w, minlength=len(self.distinct_x))
        self.distinct_T, T_index = np.unique(T, return_inverse=True)
        self.T_counts = np.bincount(T_index, weights=w, minlength=len(self.distinct_T))
        self.x_sum_by_T = np.bincount(T_index, weights=w * x, minlength=len(self.distinct_T))
        repeat = x > 0
        self.rep_x_index = x_index[repeat]
        self.rep_x, self.rep_w = x[repeat], w[repeat]
        self.times, where = np.unique(np.r_[T[repeat], t_x[repeat]], return_inverse=True)
        self.rep_T_index, self.rep_t_x_index = np.split(where, 2)
        self.mean_x = float(w @ x) / self.n if self.n else 0.0
        self.mean_T = float(w @ T) / self.n if self.n else 0.0

    def first_guess(self) -> BgNbdParams:
        # While active, E[x] over T is r T / alpha: with r = 1, alpha makes the rate match the
        # data's, which puts the search near the answer's scale whatever the time unit.
        return BgNbdParams(1.0, max(self.mean_T / max(self.mean_x, 1e-3), 1e-3), 1.0, 1.0)

    def log_likelihood_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        r, alpha, a, b = theta
        n, xs, counts = self.n, self.distinct_x, self.x_counts

        # ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
        ll = (
            counts @ (gammaln(r + xs) + gammaln(b + xs) - gammaln(a + b + xs))
            + n * (gammaln(a + b) - gammaln(r) - gammaln(b) + r * np.log(alpha))
        )
        d_r = counts @ digamma(r + xs) + n * (np.log(alpha) - digamma(r))
        d_alpha = n * r / alpha
        d_a = n * digamma(a + b) - counts @ digamma(a + b + xs)
        d_b = n * (digamma(a + b) - digamma(b)) + counts @ (digamma(b + xs) - digamma(a + b + xs))

        # -(r+x) ln(alpha+T)
        log_age = np.log(alpha + self.distinct_T)
        ll -= r * (self.T_counts @ log_age) + self.x_sum_by_T @ log_age
        d_r -= self.T_counts @ log_age
        d_alpha -= (r * self.T_counts + self.x_sum_by_T) @ (1.0 / (alpha + self.distinct_T))

        # softplus(D) of repeat customers; exp(-|D|) serves both softplus and sigmoid.
        shifted = alpha + self.times
        log_time, inverse_time = np.log(shifted), 1.0 / shifted
        log_gap = log_time[self.rep_T_index] - log_time[self.rep_t_x_index]
        b_x_1 = b + np.maximum(xs, 1.0) - 1.0
        log_odds = np.log(a) - np.log(b_x_1)[self.rep_x_index] + (r + self.rep_x) * log_gap
        small = np.exp(-np.abs(log_odds))
        ll += self.rep_w @ (np.maximum(log_odds, 0.0) + np.log1p(small))
        # w * sigmoid(D), sigmoid(D) = d softplus / dD
        ws = self.rep_w * np.where(log_odds >= 0.0, 1.0, small) / (1.0 + small)
        d_r += ws @ log_gap
        gap_slope = inverse_time[self.rep_T_index] - inverse_time[self.rep_t_x_index]
        d_alpha += (ws * (r + self.rep_x)) @ gap_slope
        d_a += ws.sum() / a
        s_by_x = np.bincount(self.rep_x_index, weights=ws, minlength=len(xs))
        d_b -= s_by_x @ (1.0 / b_x_1)

        return float(ll), np.array([d_r, d_alpha, d_a, d_b])
