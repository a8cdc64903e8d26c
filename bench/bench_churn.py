"""Churn check at scale: the out-of-time duel of P(alive) and gradient boosting for N customers.

A synthetic purchase log (each customer's first purchase over two years, then purchases at a
customer-specific rate until a customer-specific stop) plus synthetic service and engagement
features (the ``side`` the recompute reads from the two domains), fixed seed. Times the whole
``churn.choose_model`` and, inside it, the gradient-boosting fits. Prints one JSON line.

    .venv/bin/python bench/bench_churn.py [--customers N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time

import numpy as np

from guanxi.analytics import churn

AS_OF = dt.date(2026, 11, 1)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def shop(n: int, seed: int):
    rng = np.random.default_rng(seed)
    end = np.datetime64(AS_OF, "D").astype(np.int64)
    first = end - rng.integers(200, 730, n)
    rate = rng.gamma(0.8, 1 / 40, n)                 # purchases a day
    stop = first + rng.exponential(400, n).astype(np.int64)
    counts = np.minimum(rng.poisson(rate * (np.minimum(stop, end) - first)), 40)
    cust = np.repeat(np.arange(n), counts + 1)
    offsets = rng.random(len(cust)) * np.repeat(np.minimum(stop, end) - first, counts + 1)
    offsets[np.r_[0, np.cumsum(counts + 1)[:-1]]] = 0
    day = (np.repeat(first, counts + 1) + offsets.astype(np.int64)).astype("datetime64[D]")
    amount = rng.gamma(2.0, 60.0, len(cust))
    engaged = rng.random(n) < 0.5 * (stop > end)

    def side(cutoff: dt.date, ids: np.ndarray) -> dict[str, np.ndarray]:
        r = np.random.default_rng([seed, cutoff.toordinal()])
        return {"tickets_90d": r.poisson(0.2, len(ids)).astype(float),
                "complaints_90d": r.poisson(0.05, len(ids)).astype(float),
                "last_csat": np.where(r.random(len(ids)) < 0.2, r.integers(1, 6, len(ids)), np.nan),
                "views_30d": r.poisson(np.where(engaged[ids], 4.0, 0.3)).astype(float),
                "carts_90d": r.poisson(np.where(engaged[ids], 1.0, 0.1)).astype(float)}

    return cust, day, amount, side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    cust, day, amount, side = shop(args.customers, args.seed)
    generate = time.perf_counter() - t0
    fits = []
    plain_fit = churn.fit_boosting

    def timed_fit(X, y, **kw):
        w, c = time.perf_counter(), _cpu()
        scorer = plain_fit(X, y, **kw)
        fits.append({"rows": len(X),  # given to fit_boosting, which samples MAX_TRAIN_ROWS of them
                      "seconds": round(time.perf_counter() - w, 2), "cpu_seconds": round(_cpu() - c, 2)})
        return scorer

    churn.fit_boosting = timed_fit
    w, c = time.perf_counter(), _cpu()
    result = churn.choose_model(cust, day, amount, as_of=AS_OF, horizon_days=90, side=side)
    seconds, cpu = time.perf_counter() - w, _cpu() - c
    risk = result.pop("risk", None)
    print(json.dumps({
        "benchmark": "churn", "customers": args.customers, "purchases": len(cust), "as_of": AS_OF.isoformat(),
        "generate_seconds": round(generate, 2), "choose_model_seconds": round(seconds, 2),
        "choose_model_cpu_seconds": round(cpu, 2), "boosting_fits": fits, "scored": len(risk) if risk else 0,
        "result": result, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_start": load_start, "load_end": os.getloadavg()[0], "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
