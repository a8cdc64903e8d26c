"""BG/NBD + Gamma-Gamma fit, Guanxi against the `lifetimes` package, in one process on the same data.

Runs in its own environment (bench/.venv-lifetimes: lifetimes 0.11.3 and Guanxi installed
editable; `make bench-lifetimes` makes it and runs this), never in the project's. For each
case both libraries fit the same per-customer summaries (frequency, recency, T in weeks,
same-day purchases merged, calibration end 1997-09-30; Gamma-Gamma on the repeaters' mean
spend in dollars), each from its own default start, and the parameters must agree to a
relative 1e-3 (the script exits 1 otherwise). Cases:

- cdnow_master: CDNOW_master.txt, 23,570 customers;
- cdnow_master_x43: those summaries repeated 43 times, 1,013,510 customers;
- synthetic_days: 1,000,000 customers drawn from the CDNOW fit with purchase dates in whole
  days (bench_clv's data): ~90,000 distinct (x, t_x, T) triples, so it condenses ~10x, not 43x;
- synthetic_continuous: the same with times left continuous: nearly every repeater is its own
  triple, so condensing buys nothing and the figure is that of the likelihood code alone.

Guanxi's time includes condensing the rows (it gets per-customer arrays like lifetimes). Also
timed: lifetimes given the condensed triples through its own ``weights`` argument, to show how
much of the difference is the condensing. Wall seconds and process CPU seconds per fit are the
best of ``--repeat`` runs (1 for the million-customer cases unless given). Prints one JSON line.

    make bench-lifetimes
    bench/.venv-lifetimes/bin/python bench/lifetimes_compare.py [--cases a,b] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from datetime import date
from pathlib import Path

# One BLAS thread for both libraries: L-BFGS-B and BFGS call BLAS on vectors of 3 or 4
# numbers, and OpenBLAS's spinning worker threads only slow that down on 2 busy cores
# (Guanxi's CDNOW_master fit took 0.16 s instead of 0.008 s with them). Set before NumPy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from guanxi.analytics import bgnbd, gamma_gamma  # noqa: E402
from guanxi.analytics.cdnow import read_cdnow  # noqa: E402
from guanxi.analytics.log_space import distinct_rows  # noqa: E402
from guanxi.analytics.summary import summarize_transactions  # noqa: E402

try:
    import lifetimes
    from lifetimes import BetaGeoFitter, GammaGammaFitter
except ImportError:
    sys.exit("lifetimes is not installed here: run `make bench-lifetimes` (it makes bench/.venv-lifetimes)")

from bench_clv import generating_params, synthetic_customers  # noqa: E402 (bench/ is on sys.path)

CDNOW_MASTER = Path(__file__).resolve().parents[2] / "shared/data/cdnow/CDNOW_master.txt"
CALIBRATION_END = date(1997, 9, 30)
TOLERANCE = 1e-3  # largest relative difference allowed between the two libraries' parameters
CASES = ("cdnow_master", "cdnow_master_x43", "synthetic_days", "synthetic_continuous")
SEED = 20050101


def cdnow_master(path: Path):
    rows = ((row.customer_id, row.date, row.amount_minor / 100) for row in read_cdnow(path))
    s = summarize_transactions(rows, CALIBRATION_END)
    return s.frequency, s.recency, s.age, s.monetary


def continuous_customers(purchases, spend, n: int, seed: int):
    rng = np.random.default_rng(seed)
    age = 39.0 - rng.uniform(0.0, 12.0, n)
    x, recency, _ = bgnbd.simulate(purchases, age, rng)
    return x, recency, age, gamma_gamma.simulate(spend, x, rng)


def timed(work, repeat: int):
    """(result, best wall seconds, best CPU seconds) over ``repeat`` runs."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return result, round(best_wall, 4), round(best_cpu, 4)


def largest_difference(ours: dict, theirs: dict) -> float:
    return max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ours)


def run_case(name: str, data, repeat: int) -> dict:
    x, t_x, T, m = data
    rep = x > 0
    spent = rep & (m > 0)  # Guanxi leaves out repeaters with free orders only; lifetimes refuses them
    gx, gm = x[spent], m[spent]

    def lifetimes_bgnbd():
        return BetaGeoFitter().fit(x, t_x, T).params_

    def lifetimes_gg():
        return GammaGammaFitter().fit(gx, gm).params_

    (lt_bg, lt_bg_wall, lt_bg_cpu) = timed(lifetimes_bgnbd, repeat)
    (lt_gg, lt_gg_wall, lt_gg_cpu) = timed(lifetimes_gg, repeat)
    (gx_bg, gx_bg_wall, gx_bg_cpu) = timed(lambda: bgnbd.fit_bgnbd(x, t_x, T), repeat)
    (gx_gg, gx_gg_wall, gx_gg_cpu) = timed(lambda: gamma_gamma.fit_gamma_gamma(x, m), repeat)

    (cx, cT, ct_x), weights = distinct_rows((x, T, t_x))
    (lt_w, lt_w_wall, lt_w_cpu) = timed(lambda: BetaGeoFitter().fit(cx, ct_x, cT, weights=weights).params_, repeat)

    ours_bg = {k: getattr(gx_bg.params, k) for k in ("r", "alpha", "a", "b")}
    theirs_bg = {k: float(lt_bg[k]) for k in ours_bg}
    ours_gg = {"p": gx_gg.params.p, "q": gx_gg.params.q, "gamma": gx_gg.params.gamma}
    theirs_gg = {"p": float(lt_gg["p"]), "q": float(lt_gg["q"]), "gamma": float(lt_gg["v"])}
    bg_diff, gg_diff = largest_difference(ours_bg, theirs_bg), largest_difference(ours_gg, theirs_gg)
    lt_total, gx_total = lt_bg_wall + lt_gg_wall, gx_bg_wall + gx_gg_wall
    lt_total_cpu, gx_total_cpu = lt_bg_cpu + lt_gg_cpu, gx_bg_cpu + gx_gg_cpu
    return {
        "case": name,
        "customers": int(len(x)),
        "repeaters": int(rep.sum()),
        "distinct_triples": int(len(cx)),
        "lifetimes": {"bgnbd_wall": lt_bg_wall, "bgnbd_cpu": lt_bg_cpu, "gg_wall": lt_gg_wall, "gg_cpu": lt_gg_cpu,
                      "bgnbd_weighted_input_wall": lt_w_wall, "bgnbd_weighted_input_cpu": lt_w_cpu},
        "guanxi": {"bgnbd_wall": gx_bg_wall, "bgnbd_cpu": gx_bg_cpu, "gg_wall": gx_gg_wall, "gg_cpu": gx_gg_cpu,
                   "bgnbd_iterations": gx_bg.iterations, "gg_iterations": gx_gg.iterations,
                   "converged": gx_bg.converged and gx_gg.converged},
        "speedup_wall": {"bgnbd": round(lt_bg_wall / gx_bg_wall, 1), "gg": round(lt_gg_wall / gx_gg_wall, 1),
                         "both": round(lt_total / gx_total, 1)},
        "speedup_cpu": {"bgnbd": round(lt_bg_cpu / gx_bg_cpu, 1), "gg": round(lt_gg_cpu / gx_gg_cpu, 1),
                        "both": round(lt_total_cpu / gx_total_cpu, 1)},
        "params": {"guanxi_bgnbd": ours_bg, "lifetimes_bgnbd": theirs_bg,
                   "guanxi_gg": ours_gg, "lifetimes_gg": theirs_gg,
                   "lifetimes_weighted_bgnbd": {k: float(lt_w[k]) for k in ours_bg}},
        "largest_relative_difference": {"bgnbd": float(f"{bg_diff:.2e}"), "gg": float(f"{gg_diff:.2e}")},
        "params_agree": bool(bg_diff <= TOLERANCE and gg_diff <= TOLERANCE),
        "target_10x_met": bool(lt_total / gx_total >= 10),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdnow", type=Path, default=CDNOW_MASTER)
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--repeat", type=int, default=None, help="runs per fit (default 3, 1 for a million customers)")
    parser.add_argument("--customers", type=int, default=1_000_000, help="for the synthetic cases")
    args = parser.parse_args()
    wanted = args.cases.split(",")
    if unknown := set(wanted) - set(CASES):
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")

    load_start = os.getloadavg()
    master = cdnow_master(args.cdnow)
    purchases, spend, _ = generating_params(args.cdnow)
    results = []
    for name in wanted:
        if name == "cdnow_master":
            data = master
        elif name == "cdnow_master_x43":
            data = tuple(np.tile(v, 43) for v in master)
        elif name == "synthetic_days":
            data = synthetic_customers(purchases, spend, args.customers, SEED)
        else:
            data = continuous_customers(purchases, spend, args.customers, SEED)
        repeat = args.repeat or (3 if len(data[0]) < 100_000 else 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifetimes' pandas and autograd deprecation noise
            results.append(run_case(name, data, repeat))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "lifetimes_version": lifetimes.__version__,
        "numpy": np.__version__,
        "tolerance": TOLERANCE,
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg(),
        "process_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_memory_mb": round(usage.ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "blas_threads": os.environ["OPENBLAS_NUM_THREADS"],
        "cases": results,
    }))
    if not all(r["params_agree"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
