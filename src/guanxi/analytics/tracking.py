"""Holdout accuracy: the cumulative weekly repeat-purchase curve, expected against actual.

The tracking plot of Fader, Hardie & Lee (2005, figure 2). BG/NBD is fitted on the calibration
period; for every week w from the first purchase to the holdout end,

    actual(w)   = repeat purchase days of the cohort up to the end of week w
    expected(w) = sum over the cohort of E[X(end of week w - first purchase)]   (eq. 9)

where the cohort is everyone whose first purchase falls on or before the calibration end.
Before the calibration end the curve shows the fit; after it, the forecast. Also reported:
the holdout totals, and per customer the conditional expectation (eq. 10) against what each
actually did in the holdout (mean absolute error, correlation).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from guanxi.analytics import bgnbd
from guanxi.analytics.summary import DAYS_PER_WEEK, distinct, summarize


def repeat_purchase_curve(customer_ids, dates, *, calibration_end: dt.date, holdout_end: dt.date) -> dict:
    customer_ids = np.asarray(customer_ids)
    days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    keep = days <= np.datetime64(holdout_end, "D").astype(np.int64)
    ids, cust = np.unique(customer_ids[keep], return_inverse=True)
    pairs = distinct(cust.astype(np.int64) * (1 << 32) + (days[keep] - days[keep].min(initial=0)))
    pc, pd = pairs >> 32, (pairs & ((1 << 32) - 1)) + days[keep].min(initial=0)
    first = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first, pc, pd)
    cal_end = int(np.datetime64(calibration_end, "D").astype(np.int64))
    hold_end = int(np.datetime64(holdout_end, "D").astype(np.int64))
    cohort = first <= cal_end
    if not cohort.any():
        raise ValueError("nobody bought on or before the calibration end")

    s = summarize(cust, days[keep].astype("datetime64[D]"), np.zeros(int(keep.sum())), calibration_end, holdout_end)
    fit = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age)

    start = int(first[cohort].min())
    n_weeks = int(np.ceil((hold_end - start + 1) / DAYS_PER_WEEK))
    week_ends = np.minimum(start + DAYS_PER_WEEK * np.arange(1, n_weeks + 1) - 1, hold_end)
    in_cohort = cohort[pc]
    repeat_days = pd[in_cohort & (pd != first[pc])]
    actual = np.searchsorted(np.sort(repeat_days), week_ends, side="right")

    firsts, counts = np.unique(first[cohort], return_counts=True)
    expected = np.zeros(n_weeks)
    for w, end in enumerate(week_ends):
        t = np.maximum(end - firsts, 0) / DAYS_PER_WEEK  # a purchase on the week's last day is 0 weeks old
        started = firsts <= end
        expected[w] = float(np.sum(counts[started] * bgnbd.expected_purchases_new(fit.params, t[started])))

    cal_week = int(np.searchsorted(week_ends, cal_end, side="left"))
    per_customer = bgnbd.expected_purchases(fit.params, s.holdout_weeks, s.frequency, s.recency, s.age)
    holdout_actual = s.holdout_frequency
    at_cal_actual = int(np.sum(repeat_days <= cal_end))
    at_cal_expected = float(np.interp(cal_end, week_ends, expected))
    return {
        "calibration_end": calibration_end.isoformat(), "holdout_end": holdout_end.isoformat(),
        "customers": int(cohort.sum()), "start": str(np.datetime64(start, "D")),
        "bgnbd": {"r": fit.params.r, "alpha": fit.params.alpha, "a": fit.params.a, "b": fit.params.b,
                  "log_likelihood": fit.log_likelihood},
        "weeks": [str(np.datetime64(int(e), "D")) for e in week_ends],
        "calibration_week": cal_week,
        "actual": [int(a) for a in actual],
        "expected": [round(float(e), 2) for e in expected],
        "holdout": {
            "actual": int(actual[-1] - at_cal_actual),
            "expected_curve": round(float(expected[-1] - at_cal_expected), 1),
            "expected_conditional": round(float(per_customer.sum()), 1),
            "per_customer_mae": round(float(np.mean(np.abs(per_customer - holdout_actual))), 4),
            "per_customer_correlation": round(float(np.corrcoef(per_customer, holdout_actual)[0, 1]), 4),
        },
    }
