"""Maximum likelihood over positive parameters, searched in log space.

Every parameter of BG/NBD and Gamma-Gamma is positive. Optimising log(theta) instead of
theta removes the positivity constraint, keeps step sizes proportionate for parameters that
differ by orders of magnitude (r ~ 0.2, gamma ~ 15 or 1,500 in cents), and turns the
chain rule into a multiplication: d/d(log theta) = theta * d/d(theta).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from typing import Generic, TypeVar

import numpy as np
from scipy.optimize import minimize

# Mean gradient per customer, in log space, below which a stop is an optimum. L-BFGS-B ends a
# search at the optimum with "abnormal termination in line search" when float rounding
# across a million terms hides any further improvement; that is success, not failure.
GRADIENT_TOLERANCE = 1e-5

# exp(+-30) spans 1e-13..1e13: far beyond any sensible parameter, close enough to keep
# gammaln and powers finite while L-BFGS-B probes.
LOG_BOUND = 30.0


Params = TypeVar("Params")


@dataclass(frozen=True)
class Fit(Generic[Params]):
    params: Params
    log_likelihood: float
    customers: int  # the customers the likelihood sums over
    converged: bool
    iterations: int


def maximize_log_likelihood(
    log_likelihood_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: Params,
    customers: float,
) -> Fit[Params]:
    """Maximise ``log_likelihood_and_grad(theta) -> (ll, d ll / d theta)`` over theta > 0.

    ``start`` is a parameter dataclass; the answer's ``params`` is one of the same type.
    The objective is divided by the number of customers so that the optimiser's tolerances
    mean the same thing for 2,000 and for 2,000,000 customers (``customers`` is the total
    weight when rows stand for several customers).
    """
    scale = float(customers)

    def objective(log_theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_theta)
        ll, grad = log_likelihood_and_grad(theta)
        if not np.isfinite(ll):
            # Tell the line search this point is bad instead of handing it a NaN.
            return np.inf, np.zeros_like(theta)
        return -ll / scale, -grad * theta / scale

    result = minimize(
        objective,
        np.log(np.array(astuple(start), dtype=np.float64)),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(astuple(start)),
        options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9},
    )
    return Fit(
        params=type(start)(*map(float, np.exp(result.x))),
        log_likelihood=float(-result.fun * scale),
        customers=int(round(customers)),
        converged=bool(result.success) or float(np.max(np.abs(result.jac))) < GRADIENT_TOLERANCE,
        iterations=int(result.nit),
    )


def distinct_rows(columns: Sequence[np.ndarray], weights=None) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of parallel 1-D float arrays, each with the total weight of its copies.

    A likelihood that is a sum of identical terms for identical rows depends on the data only
    through these rows and their counts (sufficient statistics), so fitting on them is exact
    and costs per distinct row instead of per customer: CDNOW's 23,570 customers are ~8,000
    distinct (x, t_x, T) triples, and a million customers drawn from them are still ~8,000.
    ``weights`` (default 1 each) must be finite and non-negative; rows of weight 0 are dropped.
    Rows come back sorted by the first column, then the second, and so on.
    """
    n = len(columns[0])
    if weights is None:
        w = np.ones(n)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (n,):
            raise ValueError(f"weights must be one per row: got shape {w.shape} for {n} rows")
        if not np.all(np.isfinite(w) & (w >= 0)):
            raise ValueError("weights must be finite and not negative")
    if n == 0:
        return [np.asarray(c, dtype=np.float64) for c in columns], w
    order = np.lexsort(tuple(reversed(columns)))
    ordered = [c[order] for c in columns]
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for c in ordered:
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    totals = np.add.reduceat(w[order], starts)
    kept = totals > 0
    return [c[starts][kept] for c in ordered], totals[kept]
