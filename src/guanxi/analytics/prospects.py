"""Prospect value and growth potential: values in, values out.

Prospect score. Features of a customer at a day t: log(1 + count) of each engagement event kind in
the ``LOOKBACK_DAYS`` before t. Label: a first order in (t, t + ``HORIZON_DAYS``]. The shop's own
history is the training set: t = as_of − HORIZON_DAYS, every customer with an event in the lookback
and no order on or before t. An L2 logistic regression (``churn.fit_logistic``: standardised
features, Newton steps) is fitted when that set has at least ``MIN_SAMPLES`` customers and
``MIN_POSITIVES`` first orders; otherwise the documented ``FALLBACK_WEIGHTS`` (per log-count,
intercept −4) score P(first order). When the window before (t − HORIZON_DAYS, labels to t) is big
enough too, a model fitted there is checked on the later window against the fallback (AUC); the
fallback wins unless the model ranks at least as well. Today's prospects are scored at as_of.

expected first-order value = P(first order) × the median first-order value of the shop.

Growth potential (customers with a purchase) = predicted CLV over the horizon − spend in the last
365 days; band: low when ≤ 0, else medium up to the median of the shop's positive growths, high above.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from guanxi.analytics.churn import auc, fit_logistic

LOOKBACK_DAYS = 90
HORIZON_DAYS = 30
MIN_SAMPLES = 100
MIN_POSITIVES = 10
KINDS = ("page_view", "product_view", "add_to_cart", "checkout_started", "search", "wishlist", "sign_up",
         "sign_in", "review", "share", "live_watch", "coupon_use")
# Used until the shop has enough history: intent (cart, checkout) weighs most, browsing least.
FALLBACK_INTERCEPT = -4.0
FALLBACK_WEIGHTS = {"page_view": 0.2, "product_view": 0.3, "add_to_cart": 0.9, "checkout_started": 1.4,
                    "search": 0.2, "wishlist": 0.5, "sign_up": 0.4, "sign_in": 0.3, "review": 0.2, "share": 0.2,
                    "live_watch": 0.3, "coupon_use": 0.6}


@dataclass(frozen=True)
class ProspectModel:
    kind: str                 # "fitted" or "fallback"
    weights: dict[str, float]
    samples: int
    positives: int
    train_auc: float | None
    score: object             # X -> P(first order)
    check: dict               # the out-of-time duel, when there was history for it

    def summary(self) -> dict:
        return {"model": self.kind, "weights": self.weights, "samples": self.samples, "positives": self.positives,
                "train_auc": self.train_auc, "lookback_days": LOOKBACK_DAYS, "horizon_days": HORIZON_DAYS,
                **self.check}


def features(event_customers, event_kinds, event_days, customers, at: dt.date) -> np.ndarray:
    """log(1 + count) per kind of the events of each of ``customers`` in (at − LOOKBACK_DAYS, at]."""
    index = {int(c): i for i, c in enumerate(customers)}
    kind_index = {k: j for j, k in enumerate(KINDS)}
    X = np.zeros((len(index), len(KINDS)))
    start = at - dt.timedelta(days=LOOKBACK_DAYS)
    for c, k, d in zip(event_customers, event_kinds, event_days):
        i, j = index.get(int(c)), kind_index.get(k)
        if i is not None and j is not None and start < d <= at:
            X[i, j] += 1
    return np.log1p(X)


def _fallback(X: np.ndarray) -> np.ndarray:
    w = np.array([FALLBACK_WEIGHTS[k] for k in KINDS])
    return 1.0 / (1.0 + np.exp(-(FALLBACK_INTERCEPT + X @ w)))


def _training_set(event_customers, event_kinds, event_days, first_order, t: dt.date, label_end: dt.date):
    """Customers with an event in the lookback before t and no purchase on or before t; label: a first
    purchase in (t, label_end]."""
    lo = t - dt.timedelta(days=LOOKBACK_DAYS)
    active = sorted({int(c) for c, d in zip(event_customers, event_days) if lo < d <= t})
    train = [c for c in active if c not in first_order or first_order[c] > t]
    y = np.array([1.0 if c in first_order and first_order[c] <= label_end else 0.0 for c in train])
    return train, y


def _enough(train, y) -> bool:
    return len(train) >= MIN_SAMPLES and MIN_POSITIVES <= int(y.sum()) < len(train)


def fit_prospect_model(event_customers, event_kinds, event_days, first_order: dict[int, dt.date],
                       as_of: dt.date) -> ProspectModel:
    """Train on who, as a prospect HORIZON_DAYS ago, placed a first order since (or fall back).

    Out of time, as for churn: when the window before that has enough history too, a model trained
    there must rank the later window's prospects at least as well as the fallback weights, or the
    fallback is used."""
    h = dt.timedelta(days=HORIZON_DAYS)
    t = as_of - h
    train, y = _training_set(event_customers, event_kinds, event_days, first_order, t, as_of)
    check: dict = {}
    if _enough(train, y):
        X = features(event_customers, event_kinds, event_days, train, t)
        early, y_early = _training_set(event_customers, event_kinds, event_days, first_order, t - h, t)
        if _enough(early, y_early):
            earlier = fit_logistic(features(event_customers, event_kinds, event_days, early, t - h), y_early)
            check = {"validation_auc": auc(earlier(X), y), "fallback_validation_auc": auc(_fallback(X), y)}
        if not check or check["validation_auc"] >= check["fallback_validation_auc"]:
            scorer = fit_logistic(X, y, l2=1.0)
            weights = dict(zip(("intercept", *KINDS), scorer.weights.values()))
            return ProspectModel("fitted", weights, len(train), int(y.sum()), auc(scorer(X), y), scorer, check)
    return ProspectModel("fallback", {"intercept": FALLBACK_INTERCEPT, **FALLBACK_WEIGHTS}, len(train), int(y.sum()),
                         None, _fallback, check)


def prospect_values(model: ProspectModel, X: np.ndarray, median_first_order_minor: int) -> tuple[np.ndarray, np.ndarray]:
    """(P(first order) within HORIZON_DAYS, expected first-order value in minor units) per row of X."""
    p = np.clip(np.asarray(model.score(X), dtype=np.float64), 0.0, 1.0) if len(X) else np.zeros(0)
    return p, np.round(p * median_first_order_minor).astype(np.int64)


def growth_potential(clv_minor: dict[int, int], spend_last_year: dict[int, int]) -> dict[int, tuple[int, str]]:
    """{customer: (predicted CLV − last 365 days' spend, band)} for the customers with a CLV."""
    growth = {c: int(v) - int(spend_last_year.get(c, 0)) for c, v in clv_minor.items()}
    positive = [g for g in growth.values() if g > 0]
    cut = float(np.median(positive)) if positive else 0.0
    return {c: (g, "low" if g <= 0 else "medium" if g <= cut else "high") for c, g in growth.items()}
