"""Churn risk: P(alive) by default, a supervised model only where it beats P(alive) out of time.

The question both answer: will this customer buy again within the next ``horizon`` days?
P(alive) (BG/NBD, no labels needed) is the default score. The challenger is gradient boosting
(scikit-learn's ``HistGradientBoostingClassifier``: 100 rounds of trees of at most 15 leaves,
fixed seed, no early stopping, at most 200,000 training rows drawn with a fixed seed) on RFM
features, the BG/NBD figures themselves and, from recompute, the customer's service and engagement
features (``side``: tickets, complaints and last CSAT from service, events from customers):

    train       features as of cutoff - 2h, label: a purchase in (cutoff - 2h, cutoff - h]
    validate    features as of cutoff - h,  label: a purchase in (cutoff - h, cutoff]

Both scores are ranked against the validation labels by AUC; the model is used only if its AUC
is higher, and is then refitted on the validation window to score customers as of the cutoff.
Validating on a later window than the one trained on is what "out of time" means: a model
that memorised one season does not get to grade itself on that season. Every feature is as of
its window's cutoff: purchases on or after the next day are not looked at, and ``side`` is asked
for the figures as of that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from guanxi.analytics import bgnbd
from guanxi.analytics.summary import summarize

FEATURES = ("log_recency_days", "log_repeat_days", "log_age_days", "repeat_rate", "log_mean_spend",
            "bought_last_30", "bought_last_90", "p_alive", "log_expected_purchases")
MIN_CUSTOMERS = 50
MAX_TRAIN_ROWS = 200_000
SEED = 0

# (cutoff day, customer ids known then) -> {feature name: values aligned with the ids}, as of that day
SideFeatures = Callable[[dt.date, np.ndarray], Mapping[str, np.ndarray]]


@dataclass(frozen=True)
class Snapshot:
    customers: np.ndarray  # indexes of customers known at the cutoff
    X: np.ndarray
    p_alive: np.ndarray
    expected: np.ndarray   # BG/NBD expected purchases over the horizon
    names: tuple[str, ...] = FEATURES


def _date(day: int) -> dt.date:
    return np.datetime64(int(day), "D").astype(dt.date)


def snapshot(cust, day, amount, cutoff: int, horizon_days: int, *, ids: np.ndarray | None = None,
             side: SideFeatures | None = None) -> Snapshot:
    """Features of every customer with a purchase on or before day number ``cutoff``; with ``side``,
    its columns for those customers (``ids`` maps the indexes in ``cust`` to customer ids) come after."""
    past = day <= cutoff
    c, d, a = cust[past], day[past], amount[past]
    s = summarize(c, d.astype("datetime64[D]"), a, _date(cutoff))
    known = np.asarray(s.customer_ids, dtype=np.int64)
    fit = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age)
    p = bgnbd.p_alive(fit.params, s.frequency, s.recency, s.age)
    e = bgnbd.expected_purchases(fit.params, horizon_days / 7.0, s.frequency, s.recency, s.age)
    n = int(known.max(initial=-1)) + 1
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, c, d)
    recent30 = np.bincount(c[d > cutoff - 30], minlength=n) > 0
    recent90 = np.bincount(c[d > cutoff - 90], minlength=n) > 0
    age_days = s.age * 7.0
    columns = [np.log1p(cutoff - last[known]), np.log1p(s.frequency), np.log1p(age_days),
               s.frequency / np.maximum(age_days, 1.0), np.log1p(s.monetary),
               recent30[known], recent90[known], p, np.log1p(e)]
    names = FEATURES
    if side is not None:
        extra = side(_date(cutoff), known if ids is None else ids[known])
        names = (*FEATURES, *extra)
        columns += [np.asarray(v, dtype=np.float64) for v in extra.values()]
    return Snapshot(known, np.column_stack(columns).astype(np.float64), p, e, names)


def bought_within(cust, day, customers: np.ndarray, start: int, end: int) -> np.ndarray:
    """1 for each of ``customers`` with a purchase in (start, end], else 0."""
    inside = (day > start) & (day <= end)
    n = max(int(cust.max(initial=-1)), int(customers.max(initial=-1))) + 1
    return (np.bincount(cust[inside], minlength=n)[customers] > 0).astype(np.float64)


def fit_logistic(X: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iterations: int = 50):
    """Standardise, then Newton's method on the L2-penalised log-likelihood. Returns a scorer."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1.0
    Z = np.column_stack([np.ones(len(X)), (X - mean) / std])
    w = np.zeros(Z.shape[1])
    penalty = np.full(Z.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-Z @ w))
        grad = Z.T @ (y - p) - penalty * w
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w += step
        if np.max(np.abs(step)) < 1e-8:
            break

    def score(X_new: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(np.column_stack([np.ones(len(X_new)), (X_new - mean) / std]) @ w)))

    score.weights = dict(zip(("intercept", *FEATURES), map(float, w)))
    return score


def fit_boosting(X: np.ndarray, y: np.ndarray, *, max_rows: int = MAX_TRAIN_ROWS, seed: int = SEED):
    """Gradient-boosted trees on at most ``max_rows`` rows (drawn with ``seed``). Returns a scorer:
    features -> P(label 1). Same input, same scores: fixed seeds, no early stopping."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # a second or so to import: only when fitted
    from threadpoolctl import threadpool_limits  # comes with scikit-learn

    if len(X) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(len(X), size=max_rows, replace=False))
        X, y = X[rows], y[rows]
    blank = np.isnan(X).all(axis=0)
    if blank.any():  # a feature nobody has yet (no CSAT answered): constant, never split on
        X = X.copy()
        X[:, blank] = 0.0
    # Small trees, slow learning and leaves of at least 1% of the rows (20 to 200): on CDNOW these
    # generalise to the next quarter better than the defaults (out-of-time AUC 0.836 against 0.826).
    model = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=15, learning_rate=0.05,
                                           min_samples_leaf=max(20, min(200, len(X) // 100)),
                                           early_stopping=False, random_state=seed)
    # One OpenMP thread: on a shared two-core machine the threads' spin-waiting cost eight times the CPU
    # (200,000 rows: 14.9 CPU seconds against 1.9, bench/RESULTS.md), and the recompute is one job among many.
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(X, y)

    def score(X_new: np.ndarray) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="openmp"):
            return model.predict_proba(X_new)[:, 1]

    return score


def auc(scores, labels) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None without both classes."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels) > 0
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # average ranks over ties
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(scores)]
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def cutoffs(as_of: dt.date, horizon_days: int = 90) -> tuple[dt.date, dt.date, dt.date]:
    """The days the features are taken as of: training, validation, scoring."""
    h = dt.timedelta(days=horizon_days)
    return as_of - 2 * h, as_of - h, as_of


def choose_model(customer_ids, dates, amounts, *, as_of: dt.date, horizon_days: int = 90,
                 side: SideFeatures | None = None, max_train_rows: int = MAX_TRAIN_ROWS) -> dict:
    """Out-of-time comparison; with ``use_model`` true, ``risk`` (customer id -> 1 - P(buy)) comes along.

    ``side`` adds per-customer features as of each cutoff (see ``SideFeatures``); without it the
    model sees the purchase features only."""
    ids_in = np.asarray(customer_ids)
    ids, cust = np.unique(ids_in, return_inverse=True)
    day = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    amount = np.asarray(amounts, dtype=np.float64)
    end = int(np.datetime64(as_of, "D").astype(np.int64))
    keep = day <= end
    cust, day, amount = cust[keep], day[keep], amount[keep]
    h = horizon_days
    result: dict = {"as_of": as_of.isoformat(), "horizon_days": h, "use_model": False}
    if not (day <= end - 2 * h).any():
        result["reason"] = "too little history for an out-of-time check"
        return result
    train = snapshot(cust, day, amount, end - 2 * h, h, ids=ids, side=side)
    if len(train.customers) < MIN_CUSTOMERS:
        result["reason"] = "too little history for an out-of-time check"
        return result
    y_train = bought_within(cust, day, train.customers, end - 2 * h, end - h)
    valid = snapshot(cust, day, amount, end - h, h, ids=ids, side=side)
    y_valid = bought_within(cust, day, valid.customers, end - h, end)
    if len(set(y_train)) < 2 or len(set(y_valid)) < 2:
        result["reason"] = "every customer in a window bought, or none did"
        return result
    model = fit_boosting(train.X, y_train, max_rows=max_train_rows)
    aucs = {"p_alive": auc(valid.p_alive, y_valid), "expected_purchases": auc(valid.expected, y_valid),
            "gradient_boosting": auc(model(valid.X), y_valid)}
    result.update({"train_customers": len(train.customers), "validation_customers": len(valid.customers),
                   "validation_buyers": int(y_valid.sum()), "features": list(train.names), "auc": aucs,
                   "use_model": aucs["gradient_boosting"] > aucs["p_alive"]})
    if result["use_model"]:
        final = fit_boosting(valid.X, y_valid, max_rows=max_train_rows)
        now = snapshot(cust, day, amount, end, h, ids=ids, side=side)
        result["risk"] = dict(zip(ids[now.customers].tolist(), (1.0 - final(now.X)).tolist()))
    return result
