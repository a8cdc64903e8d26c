"""Gamma-Gamma: how much a customer spends per transaction.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
analysis". Each transaction's spend is Gamma(p, nu) around the customer's own mean p / nu,
and nu ~ Gamma(q, gamma) across customers. What is observed is the mean m of a customer's x
repeat transactions; it is Gamma(p x, nu x) given nu, and integrating nu out gives

    ln f(m | x) = ln G(p x + q) - ln G(p x) - ln G(q) + q ln gamma + p x ln x
                  + (p x - 1) ln m - (p x + q) ln(gamma + m x).

Only repeaters (x > 0) carry information: a first purchase alone says nothing about the
spread between a customer's transactions. Spend is assumed independent of the purchase
process, which is why this model and BG/NBD are fitted separately.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
from scipy.special import digamma, gammaln

from guanxi.analytics.log_space import Fit, distinct_rows, maximize_log_likelihood


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float


GammaGammaFit = Fit[GammaGammaParams]  # customers: the repeaters the fit used


def fit_gamma_gamma(frequency, monetary, *, weights=None, start: GammaGammaParams | None = None) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from each customer's (x, mean spend).

    Customers with x = 0 or a mean spend of 0 (free orders only) are left out: the first
    carry no information about spend variation, the second have no density under the model.
    ``gamma`` is in the unit of ``monetary``; p and q have none. ``weights``: how many
    customers each row stands for (default 1 each).
    """
    spenders = _Spenders(frequency, monetary, weights)
    if spenders.n == 0:
        raise ValueError("cannot fit Gamma-Gamma without repeat customers")
    # gamma carries the currency unit: start it at the scale of the data, not at 1.
    first_guess = start or GammaGammaParams(1.0, 1.0, float(spenders.w @ spenders.m) / spenders.n)
    return maximize_log_likelihood(spenders.log_likelihood_and_gradient, first_guess, spenders.n)


def log_likelihood_and_gradient(params: GammaGammaParams, frequency, monetary, *, weights=None) -> tuple[float, np.ndarray]:
    """Total log-likelihood over repeaters and its gradient with respect to (p, q, gamma)."""
    return _Spenders(frequency, monetary, weights).log_likelihood_and_gradient(np.array(astuple(params)))


def expected_spend(params: GammaGammaParams, frequency, monetary) -> np.ndarray:
    """Expected spend per future transaction given x transactions averaging m.

    A credibility-weighted mix of the population mean p gamma / (q - 1) and the customer's
    own mean m, with weight growing in x; customers with x = 0 get the population mean.
    """
    p, q, gamma = astuple(params)
    if q <= 1:
        raise ValueError(f"q = {q:g} <= 1: the population mean spend is infinite")
    x = np.asarray(frequency, dtype=np.float64)
    m = np.where(x > 0, np.asarray(monetary, dtype=np.float64), 0.0)
    return p * (gamma + x * m) / (p * x + q - 1.0)


def simulate(params: GammaGammaParams, frequency, rng: np.random.Generator) -> np.ndarray:
    """Draw each customer's mean spend over ``frequency`` transactions (0 where x = 0)."""
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(params.q, 1.0 / params.gamma, len(x))
    shape = np.maximum(params.p * x, 1e-300)  # x = 0 draws are thrown away below
    mean = rng.gamma(shape, 1.0 / (nu * np.maximum(x, 1.0)))
    return np.where(x > 0, mean, 0.0)


class _Spenders:
    """Repeat customers arranged for cheap evaluations: condensed to distinct (x, m) pairs
    weighted by how many customers share them (exact: identical customers add identical
    terms); every gamma-function term depends on x alone and is summed once per distinct x;
    per pair only ln(gamma + m x) remains."""

    def __init__(self, frequency, monetary, weights=None):
        x, m = np.broadcast_arrays(np.asarray(frequency, dtype=np.float64), np.asarray(monetary, dtype=np.float64))
        if np.any(x < 0) or np.any(m < 0):
            raise ValueError("frequency and monetary must not be negative")
        keep = (x > 0) & (m > 0)
        w = None if weights is None else np.broadcast_to(np.asarray(weights, dtype=np.float64), x.shape)[keep]
        (self.x, self.m), self.w = distinct_rows((x[keep], m[keep]), w)
        self.n = float(self.w.sum())
        self.distinct_x, x_index = np.unique(self.x, return_inverse=True)
        self.x_counts = np.bincount(x_index, weights=self.w, minlength=len(self.distinct_x))
        self.wx = self.w * self.x
        log_m = np.log(self.m)
        self.sum_log_m = self.w @ log_m
        self.sum_x_log_xm = self.wx @ (np.log(self.x) + log_m)
        self.xm = self.x * self.m

    def log_likelihood_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, gamma = theta
        n, xs, counts = self.n, self.distinct_x, self.x_counts
        pk = p * xs
        spread = gamma + self.xm
        log_spread = np.log(spread)
        sum_log_spread, x_log_spread = self.w @ log_spread, self.wx @ log_spread

        ll = (
            counts @ (gammaln(pk + q) - gammaln(pk))
            + n * (q * np.log(gamma) - gammaln(q))
            + p * self.sum_x_log_xm - self.sum_log_m
            - p * x_log_spread - q * sum_log_spread
        )
        psi_pkq = digamma(pk + q)
        d_p = (counts * xs) @ (psi_pkq - digamma(pk)) + self.sum_x_log_xm - x_log_spread
        d_q = counts @ psi_pkq - n * digamma(q) + n * np.log(gamma) - sum_log_spread
        d_gamma = n * q / gamma - (p * self.wx + q * self.w) @ (1.0 / spread)
        return float(ll), np.array([d_p, d_q, d_gamma])
