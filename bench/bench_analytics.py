"""Analytics at scale: every per-customer score for 1,000,000 customers and 10,000,000 orders,
and a live segment's count over 200,000 scored customers in SQLite.

    .venv/bin/python bench/bench_analytics.py [--customers N] [--orders N] [--segment-customers N]

Scoring runs on arrays (what `recompute` does after reading the purchase log): RFM quintiles and
segments, lifecycle thresholds and stages, BG/NBD and Gamma-Gamma fits, CLV, P(alive). The
segment count runs the rule language's SQL against the real `analytics_customer_scores` table.
Prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time

import numpy as np
from sqlalchemy import create_engine, func, insert, select

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from guanxi.analytics import segment_rules  # noqa: E402
from guanxi.analytics.rfm import SEGMENTS  # noqa: E402
from guanxi.analytics.scoring import score_customers  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
RULE = {"all": [{"field": "segment", "op": "in", "value": ["champions", "loyal", "potential_loyalists"]},
                {"any": [{"field": "clv", "op": ">=", "value": 50000}, {"field": "churn_risk", "op": "<", "value": 0.3}]}]}


def synthetic_orders(customers: int, orders: int, rng: np.random.Generator):
    """Customers with gamma-distributed rates and a first purchase in the last three years."""
    rate = rng.gamma(0.8, 1.0, customers)
    counts = 1 + rng.poisson(rate * (orders - customers) / rate.sum())
    ids = np.repeat(np.arange(customers), counts)
    first = rng.integers(0, 3 * 365, customers)
    span = (3 * 365 - first)
    offset = (rng.random(len(ids)) * span[ids]).astype(np.int64)
    offset[np.r_[0, np.cumsum(counts)[:-1]]] = 0  # each customer's first order on their first day
    day = np.datetime64(AS_OF, "D") - 3 * 365 + first[ids] + offset
    amount = np.round(rng.gamma(2.0, 8000.0, len(ids)))
    return ids, day, amount


def segment_count(n: int, rng: np.random.Generator) -> dict:
    from guanxi.analytics.models import CustomerScore
    from guanxi.customers.models import Customer
    from guanxi.tables import metadata

    path = os.path.join(tempfile.mkdtemp(), "segments.db")
    engine = create_engine(f"sqlite:///{path}")
    meta = metadata()
    meta.create_all(engine, tables=[Customer.__table__, CustomerScore.__table__])
    now = dt.datetime.now(dt.UTC)
    segments = [s.value for s in SEGMENTS]
    with engine.begin() as conn:
        conn.execute(insert(Customer.__table__), [{"id": i, "status": "active", "locale": "zh-CN",
                                                   "timezone": "Asia/Shanghai", "tags": [], "attributes": {},
                                                   "preferences": {}, "created_at": now, "updated_at": now,
                                                   "city": "上海" if i % 3 else "北京"} for i in range(1, n + 1)])
        p = rng.random(n)
        conn.execute(insert(CustomerScore.__table__), [{
            "customer_id": i + 1, "segment": segments[i % 11], "lifecycle_stage": "active", "orders": 3,
            "window_orders": 2, "window_spend_minor": 10000, "recency_days": 30, "p_alive": float(p[i]),
            "churn_risk": float(1 - p[i]), "clv_minor": int(p[i] * 100000), "currency": "CNY",
            "period": "2026-11-01", "computed_at": now} for i in range(n)])
    from guanxi.analytics.reports import SCORE_COLUMNS

    rule = segment_rules.parse(RULE)
    stmt = select(func.count()).select_from(CustomerScore.__table__).where(segment_rules.to_sql(rule, SCORE_COLUMNS))
    with engine.connect() as conn:
        conn.execute(stmt).scalar()  # warm the page cache
        start = time.perf_counter()
        members = conn.execute(stmt).scalar()
        seconds = time.perf_counter() - start
    engine.dispose()
    return {"segment_customers": n, "segment_members": int(members), "segment_count_seconds": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--segment-customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    ids, day, amount = synthetic_orders(args.customers, args.orders, rng)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    scores = score_customers(ids, day, amount, as_of=AS_OF)
    scored = time.perf_counter() - start
    figures = {
        "customers": int(len(scores)), "orders": int(len(ids)), "generate_seconds": round(generated, 2),
        "score_seconds": round(scored, 2),
        "bgnbd": scores.summary.get("bgnbd"), "lifecycle_thresholds": scores.summary["lifecycle_thresholds"],
        "clv_total_minor": scores.summary.get("clv", {}).get("total_minor"),
    }
    figures.update(segment_count(args.segment_customers, rng))
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
