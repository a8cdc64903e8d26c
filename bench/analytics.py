"""Analytics at scale, read from the database: RFM + segments for 1,000,000 customers and 10,000,000
orders end to end, the full model recompute, and a live segment's count preview.

    .venv/bin/python bench/analytics.py [--customers 1000000] [--orders 10000000]
        [--backends sqlite,postgresql] [--full] [--count-only]

For each backend: a migrated throwaway database is filled with a synthetic shop (bulk insert through
the driver, not timed): customers with city, channel and gender (1 % merged, so not live), orders
with gamma-distributed rates over three years (94 % paid, 2 % partly refunded, 2 % refunded, 2 %
cancelled), and four dynamic segments. Then, each in its own child process so that its CPU time and
peak memory are its own:

- ``rfm``: ``recompute_and_sync(models=False)`` — what ``guanxi analytics recompute --rfm-only`` runs:
  read the order log, RFM quintiles over the window and the eleven segments, lifecycle stages, write
  every customer's scores and the month's snapshot, bring dynamic segment membership up to date; one
  transaction. Run twice: the first time on an empty score table (every member enters), the second a
  day later (model figures carried over, membership differences only).
- ``full`` (with ``--full``): the default recompute, BG/NBD, Gamma-Gamma, CLV, churn check, traits, pairs.
- ``count``: ``reports.count_members`` (the rule builder's live count) over varied rules in AND/OR
  groups on scores, profile fields and orders; each rule timed 5 times after one warm-up.

Prints one JSON line of figures (progress on stderr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import common  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
CITIES = ("上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "南京")
CHANNELS = ("wechat", "tmall", "jd", "douyin", "store", "web")
GENDERS = ("female", "male", None)
DYNAMIC = {
    "best": {"any": [{"field": "segment", "op": "in", "value": ["champions", "loyal"]},
                     {"all": [{"field": "recency_score", "op": ">=", "value": 4},
                              {"field": "monetary_score", "op": ">=", "value": 4}]}]},
    "at risk in Shanghai": {"all": [{"field": "segment", "op": "in", "value": ["at_risk", "cant_lose"]},
                                    {"field": "city", "op": "=", "value": "上海"}]},
    "lapsed repeaters": {"all": [{"field": "lifecycle_stage", "op": "in", "value": ["churned", "at_risk"]},
                                 {"field": "orders", "op": ">=", "value": 3}]},
    "prospects from ads": {"all": [{"field": "lifecycle_stage", "op": "=", "value": "prospect"},
                                   {"field": "channel", "op": "in", "value": ["douyin", "web"]}]},
}
COUNT_RULES = [
    {"field": "segment", "op": "=", "value": "champions"},
    {"all": [{"field": "recency_score", "op": ">=", "value": 4}, {"field": "frequency_score", "op": ">=", "value": 3},
             {"field": "monetary_score", "op": ">=", "value": 4}]},
    {"any": [{"field": "segment", "op": "in", "value": ["at_risk", "cant_lose", "hibernating"]},
             {"all": [{"field": "recency_days", "op": ">", "value": 180}, {"field": "orders", "op": ">=", "value": 5}]}]},
    {"all": [{"field": "city", "op": "in", "value": ["上海", "北京"]},
             {"any": [{"field": "segment", "op": "=", "value": "loyal"}, {"field": "window_spend", "op": ">=", "value": 50000}]}]},
    {"all": [{"field": "channel", "op": "=", "value": "tmall"}, {"field": "gender", "op": "=", "value": "female"},
             {"field": "window_orders", "op": ">=", "value": 2}]},
    {"any": [{"all": [{"field": "city", "op": "=", "value": "深圳"}, {"field": "recency_score", "op": "=", "value": 5}]},
             {"all": [{"field": "channel", "op": "not_in", "value": ["store", "web"]},
                      {"field": "lifecycle_stage", "op": "=", "value": "at_risk"}]}]},
    {"all": [{"field": "lifecycle_stage", "op": "!=", "value": "prospect"}, {"field": "orders", "op": "<", "value": 2},
             {"field": "city", "op": "not_in", "value": ["上海"]}]},
    {"all": [{"field": "segment", "op": "in", "value": ["new", "promising"]},
             {"any": [{"field": "gender", "op": "=", "value": "male"}, {"field": "channel", "op": "=", "value": "wechat"},
                      {"field": "city", "op": "=", "value": "杭州"}]},
             {"field": "window_spend", "op": "<", "value": 20000}]},
]


def _usage() -> tuple[float, float]:
    """CPU seconds of this process and its peak memory (VmHWM: unlike ru_maxrss, not inherited from
    the parent across exec)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, common.peak_rss_mb()


# --- the synthetic shop ------------------------------------------------------------------------

def synthetic_orders(customers: int, orders: int, rng: np.random.Generator):
    """Order rows for customers 1..n: gamma-distributed rates, first purchase in the last three years;
    some customers (about a fifth) never buy."""
    buyers = rng.random(customers) < 0.8
    rate = rng.gamma(0.8, 1.0, customers) * buyers
    counts = np.where(buyers, 1 + rng.poisson(rate * max(orders - buyers.sum(), 0) / rate.sum()), 0)
    ids = np.repeat(np.arange(1, customers + 1), counts)
    first = rng.integers(0, 3 * 365 * 86400, customers)
    span = 3 * 365 * 86400 - first
    offset = (rng.random(len(ids)) * span[ids - 1]).astype(np.int64)
    starts = np.r_[0, np.cumsum(counts)[:-1]][counts > 0]
    offset[starts] = 0
    epoch0 = int(dt.datetime.combine(AS_OF, dt.time(), dt.UTC).timestamp()) - 3 * 365 * 86400
    placed = epoch0 + first[ids - 1] + offset
    amount = np.round(rng.gamma(2.0, 8000.0, len(ids))).astype(np.int64) + 100
    status = rng.choice(np.array(["paid", "partially_refunded", "refunded", "cancelled"]), len(ids),
                        p=[0.94, 0.02, 0.02, 0.02])
    refunded = np.where(status == "partially_refunded", amount // 3, np.where(status == "refunded", amount, 0))
    return ids, placed, amount, status, refunded


def _stamps(epoch: np.ndarray, backend: str) -> list[str]:
    text = np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s")
    suffix = "+00" if backend == "postgresql" else ".000000"
    return [t.replace("T", " ") + suffix for t in text.tolist()]


def generate(runtime, backend: str, customers: int, orders: int, seed: int) -> dict:
    from guanxi.analytics import reports
    from guanxi.customers.models import Customer, Order
    from guanxi.db import bulk_insert, transaction

    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.UTC)
    ids = np.arange(1, customers + 1)
    status = np.where(rng.random(customers) < 0.01, "merged", "active")
    with transaction(runtime.factory) as session:
        bulk_insert(session, Customer.__table__, {
            "id": ids.tolist(), "status": status.tolist(),
            "city": [CITIES[i] for i in rng.integers(0, len(CITIES), customers).tolist()],
            "acquisition_channel": [CHANNELS[i] for i in rng.integers(0, len(CHANNELS), customers).tolist()],
            "gender": [GENDERS[i] for i in rng.integers(0, len(GENDERS), customers).tolist()]},
            {"locale": "zh-CN", "timezone": "Asia/Shanghai", "tags": [], "attributes": {}, "preferences": {},
             "created_at": now, "updated_at": now})
        for name, rule in DYNAMIC.items():
            reports.create_segment(session, name, rule, "bench")
    cid, placed, amount, ostatus, refunded = synthetic_orders(customers, orders, rng)
    step = 1_000_000
    for start in range(0, len(cid), step):
        part = slice(start, start + step)
        n = len(cid[part])
        with transaction(runtime.factory) as session:
            bulk_insert(session, Order.__table__, {
                "external_id": [f"o{i}" for i in range(start, start + n)],
                "customer_id": cid[part].tolist(), "placed_at": _stamps(placed[part], backend),
                "status": ostatus[part].tolist(), "total_minor": amount[part].tolist(),
                "refunded_minor": refunded[part].tolist()},
                {"source": "bench", "currency": "CNY", "discount_minor": 0, "shipping_minor": 0, "channel": "web",
                 "created_at": now, "updated_at": now})
        common.say(f"{start + n:,} orders written")
    return {"customers": customers, "orders": int(len(cid)),
            "purchases": int(((ostatus == "paid") | (ostatus == "partially_refunded")).sum())}


# --- timed steps (each in a child process) ------------------------------------------------------

def step_recompute(runtime, url: str, models: bool, as_of: dt.date) -> dict:
    from guanxi.analytics.recompute import recompute_and_sync
    from guanxi.db import transaction

    pg = url.startswith("postgresql")
    pg_before = common.pg_backends_cpu(url) if pg else {}
    cpu0, rss0 = _usage()
    start = time.perf_counter()
    with transaction(runtime.factory) as session:
        result = recompute_and_sync(session, runtime.settings, as_of=as_of, models=models)
    seconds = time.perf_counter() - start
    cpu1, rss = _usage()
    pg_cpu = round(common.pg_cpu_since(url, pg_before), 2) if pg else None
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu1 - cpu0, 2), "postgres_cpu_seconds": pg_cpu,
            "peak_rss_mb": round(rss, 1), "rss_before_mb": round(rss0, 1),
            "customers": result["customers"], "scored": result["scored"], "stages": result["stages"],
            "segment_changes": result["segment_changes"], "models_as_of": result.get("models_as_of"),
            "bgnbd": result.get("bgnbd")}


def step_count(runtime) -> dict:
    from guanxi.analytics import reports, segment_rules

    samples, members = [], []
    with runtime.factory() as session:
        for data in COUNT_RULES:
            rule = segment_rules.parse(data)
            reports.count_members(session, rule)  # warm-up: page cache, statement cache
            for _ in range(5):
                start = time.perf_counter()
                count = reports.count_members(session, rule)
                samples.append(time.perf_counter() - start)
            members.append(count)
    s = sorted(samples)
    return {"rules": len(COUNT_RULES), "timings": len(s), "p50_s": round(common.percentile(s, 50), 4),
            "p95_s": round(common.percentile(s, 95), 4), "max_s": round(s[-1], 4), "members": members}


def child(args) -> None:
    env = common.guanxi_env(Path(args.data_dir), args.url)
    runtime = common.runtime_for(env)
    try:
        if args.step == "rfm":
            out = step_recompute(runtime, args.url, False, dt.date.fromisoformat(args.as_of))
        elif args.step == "full":
            out = step_recompute(runtime, args.url, True, dt.date.fromisoformat(args.as_of))
        else:
            out = step_count(runtime)
    finally:
        runtime.dispose()
    print(json.dumps(out, ensure_ascii=False), flush=True)


def run_child(step: str, url: str, data_dir: Path, as_of: dt.date = AS_OF) -> dict:
    common.say(f"{step} as of {as_of} ...")
    load = common.load_average()
    proc = subprocess.run([sys.executable, __file__, "--step", step, "--url", url, "--data-dir", str(data_dir),
                           "--as-of", as_of.isoformat()], capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"step {step} failed")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update(load_start=load, load_end=common.load_average())
    common.say(f"{step}: {json.dumps(out, ensure_ascii=False)}")
    return out


def run_backend(backend: str, args) -> dict:
    with common.scratch_dir(f"analytics-{backend}") as directory, \
            common.database(backend, "analytics", directory) as url:
        env = common.guanxi_env(directory / "data", url)
        runtime = common.runtime_for(env)
        common.say(f"{backend}: generating {args.customers:,} customers / {args.orders:,} orders")
        start = time.perf_counter()
        try:
            shop = generate(runtime, backend, args.customers, args.orders, args.seed)
        finally:
            runtime.dispose()
        shop["generate_seconds"] = round(time.perf_counter() - start, 1)
        common.analyze(url)
        out: dict = {"backend": backend, "shop": shop}
        if not args.count_only:
            out["rfm_first"] = run_child("rfm", url, directory / "data")
            out["rfm_next_day"] = run_child("rfm", url, directory / "data", AS_OF + dt.timedelta(days=1))
        if args.full:
            out["full"] = run_child("full", url, directory / "data", AS_OF + dt.timedelta(days=2))
        elif args.count_only:
            run_child("rfm", url, directory / "data")
        common.analyze(url)
        out["count"] = run_child("count", url, directory / "data")
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--full", action="store_true", help="also time the full model recompute")
    parser.add_argument("--count-only", action="store_true", help="only the count preview (after an RFM recompute)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        child(args)
        return
    results = [run_backend(b, args) for b in args.backends.split(",")]
    common.emit("analytics", customers=args.customers, orders=args.orders, as_of=AS_OF.isoformat(),
                rfm_target_seconds=60, count_target_seconds=1, results=results)


if __name__ == "__main__":
    main()
