"""Fit BG/NBD and Gamma-Gamma on the shop's own orders (what `guanxi analytics clv` prints)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
from sqlalchemy.orm import Session

from guanxi.analytics.bgnbd import expected_purchases, fit_bgnbd
from guanxi.analytics.gamma_gamma import fit_gamma_gamma
from guanxi.analytics.summary import summarize
from guanxi.customers.purchases import purchase_log
from guanxi.errors import Invalid
from guanxi.money import exponent


def fit_shop(session: Session, *, calibration_end: dt.date, holdout_end: dt.date | None,
             timezone: str, currency: str | None = None) -> dict:
    if holdout_end is not None and holdout_end <= calibration_end:
        raise Invalid("--holdout-end must be after --calibration-end")
    ids, days, amounts, currencies = [], [], [], Counter()
    for cid, day, amount, cur in purchase_log(session, timezone=timezone, currency=currency):
        ids.append(cid)
        days.append(day)
        amounts.append(amount)
        currencies[cur] += 1
    if not ids:
        raise Invalid("there are no paid orders to fit on: import or record orders first")
    if len(currencies) > 1:
        raise Invalid(f"orders are in several currencies ({', '.join(sorted(currencies))}); choose one with --currency")
    cur = next(iter(currencies))
    major = np.asarray(amounts, dtype=float) / 10 ** exponent(cur)
    summary = summarize(np.asarray(ids), days, major, calibration_end, holdout_end)
    if len(summary) == 0:
        raise Invalid(f"no customer bought on or before {calibration_end}: choose a later --calibration-end")
    bg = fit_bgnbd(summary.frequency, summary.recency, summary.age)
    repeaters = summary.frequency > 0
    if repeaters.sum() < 3:
        raise Invalid("too few repeat buyers to fit the spend model (need at least 3)")
    gg = fit_gamma_gamma(summary.frequency[repeaters], summary.monetary[repeaters])
    result = {
        "customers": int(len(summary)),
        "currency": cur,
        "calibration_end": calibration_end.isoformat(),
        "repeat_purchases": int(summary.frequency.sum()),
        "repeaters": int(repeaters.sum()),
        "bgnbd": {"r": bg.params.r, "alpha": bg.params.alpha, "a": bg.params.a, "b": bg.params.b,
                  "log_likelihood": bg.log_likelihood, "converged": bg.converged},
        "gamma_gamma": {"p": gg.params.p, "q": gg.params.q, "gamma": gg.params.gamma,
                        "log_likelihood": gg.log_likelihood, "converged": gg.converged},
    }
    if holdout_end is not None:
        predicted = expected_purchases(bg.params, summary.holdout_weeks, summary.frequency, summary.recency,
                                       summary.age)
        result["holdout"] = {"end": holdout_end.isoformat(), "weeks": summary.holdout_weeks,
                             "predicted": float(np.sum(predicted)), "actual": int(summary.holdout_frequency.sum())}
    return result
