"""Paid orders through 10 earning rules into the points ledger, as the worker's credit job runs it.

    .venv/bin/python bench/bench_loyalty.py [--orders 1000000] [--customers 200000] [--backend sqlite|postgresql]
                                           [--budgets]

--budgets gives two rules campaign budgets (the member-day ×3 and the welcome bonus, each about
half of what they would give), so the budget bookkeeping runs on every page and both run out.

Setup (not timed): a migrated database, customers and paid orders with 1-3 lines written with
bulk statements, 10 active rules. Timed: `earning.credit_paid_orders` from the first order to
the last (feed pages, rule evaluation, lots, entries, balances), then `balance` reads and the
expiry job over every lot. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SEED, database, emit, guanxi_env, latency_ms, peak_rss_mb, runtime_for, say, scratch_dir  # noqa: E402

RULES = {
    "base": {"kind": "base", "points_per_unit": 1, "unit_minor": 100},
    "double11": {"kind": "multiplier", "factor": 2, "when": {"category": "beauty", "from": "2025-11-01",
                                                               "to": "2025-11-11"}, "label": "2× Beauty, Double 11"},
    "member-day": {"kind": "multiplier", "factor": 3, "when": {"weekday": [3]}, "label": "Member day"},
    "wechat": {"kind": "multiplier", "factor": 1.5, "when": {"channel": "wechat"}},
    "tea": {"kind": "multiplier", "factor": 1.2, "when": {"category": "food/tea"}},
    "welcome": {"kind": "fixed", "points": 100, "when": {"first_order": True}},
    "lipstick": {"kind": "fixed", "points": 20, "when": {"sku": ["LIP-01", "LIP-02"]}},
    "big-basket": {"kind": "fixed", "points": 50, "when": {"min_amount_minor": 50000}},
    "spring": {"kind": "multiplier", "factor": 2, "when": {"from": "2025-01-28", "to": "2025-02-04"}},
    "cap": {"kind": "cap", "per_order": 5000},
}
SKUS = [("LIP-01", "beauty/lips", 12900), ("LIP-02", "beauty/lips", 15900), ("TEA-01", "food/tea", 5000),
        ("CUP-01", "home/cups", 3900), ("SER-01", "beauty/skin", 25900), ("BAG-01", "fashion/bags", 59900)]
CHANNELS = ["wechat", "douyin", "web", "tmall"]


def setup(runtime, customers: int, orders: int, rng: random.Random) -> None:
    from sqlalchemy import insert

    from guanxi.customers.models import Customer, Order, OrderLine
    from guanxi.db import transaction
    from guanxi.loyalty import catalogue

    now = dt.datetime.now(dt.UTC)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with transaction(runtime.factory) as session:
        for lo in range(0, customers, 20_000):
            session.execute(insert(Customer.__table__), [
                {"status": "active", "locale": "zh-CN", "timezone": "Asia/Shanghai", "tags": [], "attributes": {},
                 "preferences": {}, "created_at": now, "updated_at": now}
                for _ in range(lo, min(lo + 20_000, customers))])
        for name, definition in RULES.items():
            catalogue.write_rule(session, name, definition, True, "bench", create=True)
    # the rules are in force for the orders: they were made "before" them
    with transaction(runtime.factory) as session:
        from sqlalchemy import update

        from guanxi.loyalty.models import EarningRule
        session.execute(update(EarningRule).values(created_at=start - dt.timedelta(days=1)))
    batch = 20_000
    for lo in range(0, orders, batch):
        order_rows, line_rows = [], []
        for i in range(lo, min(lo + batch, orders)):
            placed = start + dt.timedelta(seconds=rng.randrange(0, 300 * 86400))
            items = rng.sample(SKUS, rng.randint(1, 3))
            lines = [(sku, cat, price, rng.randint(1, 3)) for sku, cat, price in items]
            gross = sum(p * q for _, _, p, q in lines)
            discount = gross // 10 if rng.random() < 0.3 else 0
            shipping = 1000 if gross < 9900 else 0
            order_rows.append({"id": i + 1, "source": "bench", "external_id": str(i), "customer_id": rng.randint(1, customers),
                               "placed_at": placed, "status": "paid", "currency": "CNY",
                               "total_minor": gross - discount + shipping, "discount_minor": discount,
                               "shipping_minor": shipping, "refunded_minor": 0, "channel": rng.choice(CHANNELS),
                               "created_at": now, "updated_at": now + dt.timedelta(microseconds=i)})
            for n, (sku, cat, price, qty) in enumerate(lines):
                line_rows.append({"order_id": i + 1, "line_no": n + 1, "sku": sku, "name": sku, "category": cat,
                                  "quantity": qty, "unit_price_minor": price, "refunded_quantity": 0})
        with transaction(runtime.factory) as session:
            session.execute(insert(Order.__table__), order_rows)
            session.execute(insert(OrderLine.__table__), line_rows)
        say(f"{min(lo + batch, orders):,} orders written")


def _cpu() -> float:
    """This process's CPU seconds (SQLite runs in-process; PostgreSQL's backends are not counted)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--budgets", action="store_true", help="campaign budgets on two rules")
    args = ap.parse_args()
    if args.budgets:
        RULES["member-day"] = {**RULES["member-day"], "budget": 40 * args.orders}
        RULES["welcome"] = {**RULES["welcome"], "budget": 50 * args.customers}
    rng = random.Random(SEED)

    from sqlalchemy import func, select

    from guanxi.loyalty import earning, store
    from guanxi.loyalty.models import PointEntry, PointLot

    with scratch_dir("loyalty") as tmp, database(args.backend, "loyalty", tmp) as url:
        runtime = runtime_for(guanxi_env(tmp / "data", url))
        say(f"setup: {args.customers:,} customers, {args.orders:,} orders ({args.backend})")
        setup(runtime, args.customers, args.orders, rng)
        if args.backend == "postgresql":
            from common import analyze
            analyze(url)

        now = dt.datetime(2025, 11, 30, tzinfo=dt.UTC)
        say("crediting")
        load_before = os.getloadavg()[0]
        cpu0, t0 = _cpu(), time.perf_counter()
        result = earning.credit_paid_orders(runtime.factory, now=now)
        credit_s, credit_cpu = time.perf_counter() - t0, _cpu() - cpu0
        load_after = os.getloadavg()[0]
        say(f"credited {result['orders_credited']:,} orders in {credit_s:.1f} s")

        samples = []
        with runtime.factory() as session:
            for _ in range(2000):
                cid = rng.randint(1, args.customers)
                t = time.perf_counter()
                store.balance_of(session, cid)
                samples.append(time.perf_counter() - t)
            lots = session.scalar(select(func.count()).select_from(PointLot))
            entries = session.scalar(select(func.count()).select_from(PointEntry))
            problems = store.verify(session) if args.orders <= 200_000 else None
            from guanxi.loyalty import budgets as budget_report
            budget_use = {b["rule"]: [b["used"], b["budget"]] for b in budget_report.report(session)}

        t0 = time.perf_counter()
        expired = earning.expire_points(runtime.factory, now=dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
        expire_s = time.perf_counter() - t0
        runtime.dispose()

    emit("loyalty_credit", backend=args.backend, orders=args.orders, customers=args.customers, rules=len(RULES),
         budgets=budget_use,
         orders_credited=result["orders_credited"], points=result["points"], credit_seconds=round(credit_s, 2),
         orders_per_second=round(result["orders_credited"] / credit_s), credit_cpu_seconds=round(credit_cpu, 2),
         orders_per_cpu_second=round(result["orders_credited"] / credit_cpu),
         load_average=[round(load_before, 1), round(load_after, 1)], lots=lots, entries=entries,
         balance_read_ms=latency_ms(samples), expiry_lots=expired["lots_expired"],
         expiry_seconds=round(expire_s, 2), verify_differences=None if problems is None else len(problems),
         peak_memory_mb=peak_rss_mb())


if __name__ == "__main__":
    main()
