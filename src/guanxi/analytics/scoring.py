"""Every per-customer score at once, from the purchase log: values in, values out.

RFM scores and segment over the window, P(alive) and expected purchases from BG/NBD, CLV from
BG/NBD and Gamma-Gamma, churn risk (1 - P(alive)) and the lifecycle stage. The models are fitted
on the whole history up to ``as_of`` (weeks, same-day purchases merged, as in ``summary``), so
today's scores use everything the shop knows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from guanxi.analytics import bgnbd, gamma_gamma, lifecycle, rfm
from guanxi.analytics.clv import WEEKS_PER_MONTH, customer_lifetime_value
from guanxi.analytics.summary import distinct, summarize

MIN_CUSTOMERS_TO_FIT = 20
MIN_REPEATERS_TO_FIT = 3


@dataclass(frozen=True)
class ClvSettings:
    horizon_months: int = 12
    annual_discount_rate: float = 0.10
    margin: float = 1.0


@dataclass
class Scores:
    """Parallel arrays, one entry per customer who bought on or before ``as_of``."""

    customer_ids: np.ndarray
    purchase_days: np.ndarray          # distinct purchase days, all time
    recency_days: np.ndarray           # days since the latest purchase
    frequency: np.ndarray              # purchases in the RFM window (0: not RFM-scored)
    monetary: np.ndarray               # spend in the RFM window, minor units
    r: np.ndarray                      # RFM scores 1..5, 0 when outside the window
    f: np.ndarray
    m: np.ndarray
    segment: np.ndarray                # Segment value or None
    p_alive: np.ndarray | None         # None when the shop is too small to fit BG/NBD
    expected_purchases: np.ndarray | None
    clv_minor: np.ndarray | None
    stage: np.ndarray
    summary: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.customer_ids)


def score_customers(customer_ids, days, amounts_minor, *, as_of: dt.date, minor_per_major: int = 100,
                    rfm_window_days: int = 365, clv: ClvSettings = ClvSettings(), models: bool = True) -> Scores:
    """Score each customer from parallel arrays of purchases (customer id, local day, amount in minor units).

    With ``models`` false only RFM, segments and lifecycle stages are computed (the fast daily path):
    P(alive), expected purchases and CLV stay None and nothing is fitted."""
    ids_in = np.asarray(customer_ids)
    day_num = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
    amounts = np.asarray(amounts_minor, dtype=np.float64)
    end = int(np.datetime64(as_of, "D").astype(np.int64))
    keep = day_num <= end
    ids_in, day_num, amounts = ids_in[keep], day_num[keep], amounts[keep]

    ids, cust = np.unique(ids_in, return_inverse=True)
    n = len(ids)
    # Distinct purchase days per customer, and the latest two of them.
    pairs = distinct(cust.astype(np.int64) * (1 << 32) + (day_num - day_num.min(initial=0)))
    pc, pd = pairs >> 32, (pairs & ((1 << 32) - 1)) + day_num.min(initial=0)
    purchase_days = np.bincount(pc, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    last[pc] = pd  # sorted, so the last write per customer is the latest day
    second = np.full(n, np.iinfo(np.int64).min)
    is_not_last = np.r_[pc[1:] == pc[:-1], False]
    second[pc[is_not_last]] = pd[is_not_last]
    last_gap = np.where(purchase_days >= 2, last - second, 0).astype(np.float64)
    recency_days = end - last

    # pc, pd are sorted by customer then day, so the gaps are the differences within a customer
    # (what lifecycle.purchase_gaps computes after sorting again).
    same = pc[1:] == pc[:-1]
    limits = lifecycle.thresholds((pd[1:] - pd[:-1])[same].astype(np.float64))
    stage = lifecycle.stages(purchase_days, recency_days, last_gap, limits)

    r_score, f_score, m_score, segment, frequency, monetary = _rfm(ids, cust, day_num, amounts, as_of,
                                                                   rfm_window_days)
    p_alive = expected = clv_minor = None
    summary: dict = {"customers": int(n), "as_of": as_of.isoformat(), "rfm_window_days": rfm_window_days,
                     "lifecycle_thresholds": limits.as_dict(),
                     "clv_settings": {"horizon_months": clv.horizon_months,
                                      "annual_discount_rate": clv.annual_discount_rate, "margin": clv.margin}}
    if models and n >= MIN_CUSTOMERS_TO_FIT:
        s = summarize(cust, day_num.astype("datetime64[D]"), amounts / minor_per_major, as_of)
        # summarize keys customers by their position in ``ids``: s.customer_ids is 0..n-1 here.
        order = np.asarray(s.customer_ids, dtype=np.int64)
        fit = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age)
        summary["bgnbd"] = {"r": fit.params.r, "alpha": fit.params.alpha, "a": fit.params.a, "b": fit.params.b,
                            "log_likelihood": fit.log_likelihood, "converged": fit.converged}
        horizon_weeks = clv.horizon_months * WEEKS_PER_MONTH
        p_alive = np.empty(n)
        expected = np.empty(n)
        p_alive[order] = bgnbd.p_alive(fit.params, s.frequency, s.recency, s.age)
        expected[order] = bgnbd.expected_purchases(fit.params, horizon_weeks, s.frequency, s.recency, s.age)
        repeaters = s.frequency > 0
        summary["repeaters"] = int(repeaters.sum())
        if repeaters.sum() >= MIN_REPEATERS_TO_FIT:
            gg = gamma_gamma.fit_gamma_gamma(s.frequency[repeaters], s.monetary[repeaters])
            summary["gamma_gamma"] = {"p": gg.params.p, "q": gg.params.q, "gamma": gg.params.gamma,
                                      "log_likelihood": gg.log_likelihood, "converged": gg.converged}
            if gg.params.q > 1:
                values = customer_lifetime_value(
                    fit.params, gg.params, s.frequency, s.recency, s.age, s.monetary,
                    horizon_months=clv.horizon_months, annual_discount_rate=clv.annual_discount_rate,
                    margin=clv.margin)
                clv_minor = np.empty(n)
                clv_minor[order] = np.round(values * minor_per_major)
                summary["clv"] = _distribution(clv_minor)
    return Scores(customer_ids=ids, purchase_days=purchase_days, recency_days=recency_days, frequency=frequency,
                  monetary=monetary, r=r_score, f=f_score, m=m_score, segment=segment, p_alive=p_alive,
                  expected_purchases=expected, clv_minor=clv_minor, stage=stage, summary=summary)


def _rfm(ids, cust, day_num, amounts, as_of, window_days):
    n = len(ids)
    values = rfm.rfm_values(cust, day_num.astype("datetime64[D]"), amounts, as_of=as_of, window_days=window_days)
    scores = rfm.rfm_scores(values)
    at = np.asarray(values.customer_ids, dtype=np.int64)
    r_score, f_score, m_score = (np.zeros(n, dtype=np.int8) for _ in range(3))
    r_score[at], f_score[at], m_score[at] = scores.recency, scores.frequency, scores.monetary
    segment = np.full(n, None, dtype=object)
    segment[at] = [rfm.SEGMENTS[c].value for c in rfm.segment_codes(scores)]
    frequency = np.zeros(n, dtype=np.int64)
    monetary = np.zeros(n)
    frequency[at], monetary[at] = values.frequency, values.monetary
    return r_score, f_score, m_score, segment, frequency, monetary


def _distribution(values: np.ndarray) -> dict:
    q = np.quantile(values, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) if len(values) else np.zeros(6)
    return {"total_minor": int(values.sum()), "mean_minor": int(values.mean()) if len(values) else 0,
            "quantiles_minor": {k: int(v) for k, v in zip(("p10", "p25", "p50", "p75", "p90", "p99"), q)}}
