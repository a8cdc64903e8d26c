"""CLV model fit at scale: BG/NBD, Gamma-Gamma and 12-month CLV for 1,000,000 customers.

The customers are drawn from the BG/NBD and Gamma-Gamma processes fitted on CDNOW_sample
(the published parameters when the file is absent), with a fixed seed: first purchases
spread over 12 weeks, a 39-week calibration period, purchase dates in whole days, as at
CDNOW. Prints one JSON line.

    .venv/bin/python bench/bench_clv.py [--customers N] [--seed S] [--cdnow PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np

from guanxi.analytics import bgnbd, gamma_gamma
from guanxi.analytics.bgnbd import BgNbdParams
from guanxi.analytics.cdnow import read_cdnow
from guanxi.analytics.clv import customer_lifetime_value
from guanxi.analytics.gamma_gamma import GammaGammaParams
from guanxi.analytics.summary import summarize_transactions

CDNOW_SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/cdnow/CDNOW_sample.txt"
CALIBRATION_DAYS = 273  # 1997-01-01 .. 1997-09-30


def generating_params(path: Path) -> tuple[BgNbdParams, GammaGammaParams, str]:
    if not path.exists():
        return BgNbdParams(0.243, 4.414, 0.793, 2.426), GammaGammaParams(6.25, 3.74, 15.44), "published"
    rows = ((row.customer_id, row.date, row.amount_minor / 100) for row in read_cdnow(path))
    s = summarize_transactions(rows, date(1997, 9, 30))
    purchases = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age).params
    spend = gamma_gamma.fit_gamma_gamma(s.frequency, s.monetary).params
    return purchases, spend, str(path.name)


def synthetic_customers(purchases: BgNbdParams, spend: GammaGammaParams, n: int, seed: int):
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 84, n)
    age = (CALIBRATION_DAYS - first_day) / 7.0
    x, recency, _ = bgnbd.simulate(purchases, age, rng)
    recency = np.floor(recency * 7.0) / 7.0  # whole days, like real order dates
    monetary = gamma_gamma.simulate(spend, x, rng)
    return x, recency, age, monetary


def timed(work):
    start = time.perf_counter()
    result = work()
    return result, round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20050101)
    parser.add_argument("--cdnow", type=Path, default=CDNOW_SAMPLE)
    args = parser.parse_args()

    purchases, spend, source = generating_params(args.cdnow)
    x, recency, age, monetary = synthetic_customers(purchases, spend, args.customers, args.seed)

    bg_fit, bg_seconds = timed(lambda: bgnbd.fit_bgnbd(x, recency, age))
    gg_fit, gg_seconds = timed(lambda: gamma_gamma.fit_gamma_gamma(x, monetary))
    clv, clv_seconds = timed(
        lambda: customer_lifetime_value(
            bg_fit.params, gg_fit.params, x, recency, age, monetary,
            horizon_months=12, annual_discount_rate=0.10, margin=1.0,
        )
    )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    def rounded(params) -> dict:
        return {name: round(value, 4) for name, value in asdict(params).items()}

    print(json.dumps({
        "customers": args.customers,
        "repeaters": int((x > 0).sum()),
        "seed": args.seed,
        "generating_params_from": source,
        "bgnbd_fit_seconds": bg_seconds,
        "gamma_gamma_fit_seconds": gg_seconds,
        "clv_seconds": clv_seconds,
        "clv_horizon_months": 12,
        "peak_memory_mb": round(peak_kib / 1024, 1),
        "cpus": os.cpu_count(),
        "bgnbd": rounded(bg_fit.params) | {"converged": bg_fit.converged, "iterations": bg_fit.iterations},
        "gamma_gamma": rounded(gg_fit.params) | {"converged": gg_fit.converged, "iterations": gg_fit.iterations},
        "generating": {"bgnbd": rounded(purchases), "gamma_gamma": rounded(spend)},
        "mean_clv": round(float(clv.mean()), 2),
    }))


if __name__ == "__main__":
    main()
