"""The points ledger's hot paths at full size: crediting paid orders, balance reads, the expiry job.

    .venv/bin/python bench/loyalty.py credit [--orders 1000000] [--customers 200000] [--backend sqlite|postgresql]
                                             [--budgets]
    .venv/bin/python bench/loyalty.py ledger [--lots 5000000] [--members 200000] [--backend sqlite|postgresql]

credit — setup (not timed): a migrated database, customers and paid orders with 1-3 lines
written in bulk, 10 active rules. Timed: `earning.credit_paid_orders`, the worker's job, from the
first order to the last (feed pages, rule evaluation, lots, entries, balances). Then
`store.verify` over the whole ledger (the check behind `guanxi loyalty verify`). --budgets gives two
rules campaign budgets (the member-day ×3 and the welcome bonus, each about half of what they would
give), so the budget bookkeeping runs on every page and both run out.

ledger — setup (not timed): members in four time zones, each with lots and their earn entries
written in bulk (5,000,000 of each), cached balances to match. Timed: the function behind
GET /api/v1/customers/{id}/points (`points.summary`), each read in a fresh session; then
`earning.expire_points` over every lot, a second run (which must find nothing), and verify.

Each part prints one JSON line: wall seconds, this process's CPU seconds (SQLite runs in it) and,
on PostgreSQL, the CPU seconds of the database's backends.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    SEED, analyze, database, emit, guanxi_env, latency_ms, peak_rss_mb, pg_backends_cpu, pg_cpu_since, runtime_for,
    say, scratch_dir,
)

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
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney"]
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


# -- bulk setup through the driver ----------------------------------------------------------

def _sqlite_value(value):
    if isinstance(value, dt.datetime):  # SQLAlchemy's SQLite storage format, in UTC
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def bulk(runtime, table: str, columns: list[str], rows) -> None:
    """Rows (tuples) into a table in one transaction: COPY on PostgreSQL, executemany on SQLite."""
    raw = runtime.engine.raw_connection()
    try:
        cur = raw.cursor()
        if runtime.engine.dialect.name == "postgresql":
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])
        else:
            cur.execute("PRAGMA cache_size=-524288")  # 512 MB: the unique indexes take keys all over the table
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            ([_sqlite_value(v) for v in row] for row in rows))
        raw.commit()
    finally:
        if runtime.engine.dialect.name != "postgresql":
            raw.cursor().execute("PRAGMA cache_size=-2000")  # SQLite's default again for what is measured
        raw.close()


@contextmanager
def indexes_rebuilt(runtime, tables: list[str]):
    """SQLite: the tables' own (named) indexes dropped for a bulk load and created again after it — one
    sort per index instead of millions of inserts at random places (the load was ~1,000 rows a second)."""
    if runtime.engine.dialect.name == "postgresql":
        yield
        return
    from sqlalchemy import text
    marks = ", ".join(f"'{t}'" for t in tables)
    with runtime.engine.begin() as conn:
        saved = conn.execute(text(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                  f"AND tbl_name IN ({marks})")).all()
        for name, _ in saved:
            conn.execute(text(f'DROP INDEX "{name}"'))
    try:
        yield
    finally:
        with runtime.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA cache_size=-524288")
            for _, sql in saved:
                conn.execute(text(sql))
            conn.exec_driver_sql("PRAGMA cache_size=-2000")


def reset_sequence(runtime, table: str) -> None:
    if runtime.engine.dialect.name == "postgresql":
        from sqlalchemy import text
        with runtime.engine.begin() as conn:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def add_customers(runtime, n: int, rng: random.Random, zones: list[str]) -> list[str]:
    now = dt.datetime.now(dt.UTC)
    tz = [rng.choice(zones) for _ in range(n)]
    bulk(runtime, "customers", ["id", "status", "locale", "timezone", "tags", "attributes", "preferences",
                                "created_at", "updated_at"],
         ((i + 1, "active", "zh-CN", tz[i], [], {}, {}, now, now) for i in range(n)))
    reset_sequence(runtime, "customers")
    return tz


def setup_orders(runtime, customers: int, orders: int, rng: random.Random) -> None:
    from guanxi.db import transaction
    from guanxi.loyalty import catalogue

    from sqlalchemy import update

    from guanxi.loyalty.models import EarningRule

    now = dt.datetime.now(dt.UTC)
    add_customers(runtime, customers, rng, ["Asia/Shanghai"])
    with transaction(runtime.factory) as session:
        for name, definition in RULES.items():
            catalogue.write_rule(session, name, definition, True, "bench", create=True)
    with transaction(runtime.factory) as session:  # the rules are in force for the orders: made "before" them
        session.execute(update(EarningRule).values(created_at=START - dt.timedelta(days=1)))
    order_rows, line_rows = [], []
    for i in range(orders):
        placed = START + dt.timedelta(seconds=rng.randrange(0, 300 * 86400))
        items = rng.sample(SKUS, rng.randint(1, 3))
        lines = [(sku, cat, price, rng.randint(1, 3)) for sku, cat, price in items]
        gross = sum(p * q for _, _, p, q in lines)
        discount = gross // 10 if rng.random() < 0.3 else 0
        shipping = 1000 if gross < 9900 else 0
        order_rows.append((i + 1, "bench", str(i), rng.randint(1, customers), placed, "paid", "CNY",
                           gross - discount + shipping, discount, shipping, 0, rng.choice(CHANNELS), now,
                           now + dt.timedelta(microseconds=i)))
        for n, (sku, cat, price, qty) in enumerate(lines):
            line_rows.append((i + 1, n + 1, sku, sku, cat, qty, price, 0))
    bulk(runtime, "orders", ["id", "source", "external_id", "customer_id", "placed_at", "status", "currency",
                             "total_minor", "discount_minor", "shipping_minor", "refunded_minor", "channel",
                             "created_at", "updated_at"], order_rows)
    bulk(runtime, "order_lines", ["order_id", "line_no", "sku", "name", "category", "quantity", "unit_price_minor",
                                  "refunded_quantity"], line_rows)
    reset_sequence(runtime, "orders")
    reset_sequence(runtime, "order_lines")
    say(f"{orders:,} orders and {len(line_rows):,} lines written")


def setup_ledger(runtime, members: int, lots: int, rng: random.Random, chunk: int = 500_000) -> None:
    """Every member's lots (unspent, 80 % available), one earn entry each, balances to match; written
    `chunk` lots (and entries) a transaction, with the two tables' indexes built once at the end."""
    from guanxi.loyalty import expiry

    tz = add_customers(runtime, members, rng, ZONES)
    now = dt.datetime.now(dt.UTC)
    expires: dict[tuple, dt.datetime] = {}
    midnight: dict[tuple, dt.datetime] = {}
    balances = [[0, 0] for _ in range(members)]
    with indexes_rebuilt(runtime, ["loyalty_lots", "loyalty_entries"]):
        for start in range(0, lots, chunk):
            lot_rows, entry_rows = [], []
            for i in range(start, min(start + chunk, lots)):
                cid = rng.randint(1, members)
                zone = tz[cid - 1]
                day = START.date() + dt.timedelta(days=rng.randrange(0, 365))
                key = (day, zone)
                if key not in midnight:
                    midnight[key] = expiry.local_midnight(day, zone)
                    expires[key] = expiry.local_midnight(expiry.add_months(day, 24) + dt.timedelta(days=1), zone)
                earned = midnight[key] + dt.timedelta(seconds=rng.randrange(0, 82_800))
                points = rng.randint(1, 500)
                pending = rng.random() < 0.2
                balances[cid - 1][1 if pending else 0] += points
                lot_rows.append((i + 1, cid, points, points, 0, 0, 0, 0, "pending" if pending else "available",
                                 earned, None if pending else earned, expires[key], "order", str(i + 1), "base",
                                 i + 1, {}))
                entry_rows.append((i + 1, cid, "earn", points, "order", str(i + 1), earned, i + 1, i + 1, 0, 0, 0,
                                   0, {}, now))
            bulk(runtime, "loyalty_lots", ["id", "customer_id", "points", "remaining", "spent", "expired",
                                           "reversed", "forfeited", "state", "earned_at", "available_at",
                                           "expires_at", "source", "ref", "rule", "order_id", "details"], lot_rows)
            bulk(runtime, "loyalty_entries", ["id", "customer_id", "kind", "points", "source", "ref", "at",
                                              "lot_id", "order_id", "debt_change", "locked_change", "written_off",
                                              "forfeited", "details", "created_at"], entry_rows)
            say(f"{start + len(lot_rows):,} lots and entries written")
    bulk(runtime, "loyalty_balances", ["customer_id", "available", "pending", "locked", "debt", "updated_at"],
         ((cid + 1, a, p, 0, 0, now) for cid, (a, p) in enumerate(balances)))
    reset_sequence(runtime, "loyalty_lots")
    reset_sequence(runtime, "loyalty_entries")
    say(f"{members:,} members, {lots:,} lots and entries written")


# -- measuring -----------------------------------------------------------------------------

def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Timed:
    """Wall, this process's CPU and (PostgreSQL) the backends' CPU of a block, and the load around it."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self):
        self.load = [round(os.getloadavg()[0], 2)]
        self.pg0 = pg_backends_cpu(self.url)
        self.cpu0, self.t0 = _cpu(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.t0, _cpu() - self.cpu0
        self.pg = round(pg_cpu_since(self.url, self.pg0), 2) if self.url.startswith("postgresql") else None
        self.load.append(round(os.getloadavg()[0], 2))

    def figures(self, prefix: str) -> dict:
        return {f"{prefix}_seconds": round(self.wall, 2), f"{prefix}_cpu_seconds": round(self.cpu, 2),
                f"{prefix}_db_cpu_seconds": self.pg, f"{prefix}_load_average": self.load}


def run_credit(args, rng) -> None:
    from sqlalchemy import func, select

    from guanxi.loyalty import earning, store
    from guanxi.loyalty.models import PointEntry, PointLot

    with scratch_dir("loyalty") as tmp, database(args.backend, "loyalty", tmp) as url:
        runtime = runtime_for(guanxi_env(tmp / "data", url))
        say(f"setup: {args.customers:,} customers, {args.orders:,} orders ({args.backend})")
        setup_orders(runtime, args.customers, args.orders, rng)
        analyze(url)
        say("crediting")
        with Timed(url) as credit:
            result = earning.credit_paid_orders(runtime.factory, now=dt.datetime(2025, 11, 30, tzinfo=dt.UTC))
        say(f"credited {result['orders_credited']:,} orders in {credit.wall:.1f} s")
        with Timed(url) as replay:  # everything is seen: nothing may be credited twice
            again = earning.credit_paid_orders(runtime.factory, now=dt.datetime(2025, 11, 30, tzinfo=dt.UTC))
        with runtime.factory() as session:
            lots = session.scalar(select(func.count()).select_from(PointLot))
            entries = session.scalar(select(func.count()).select_from(PointEntry))
            with Timed(url) as check:
                problems = store.verify(session)
            from guanxi.loyalty import budgets as budget_report
            budget_use = {b["rule"]: [b["used"], b["budget"]] for b in budget_report.report(session)}
        runtime.dispose()
    emit("loyalty_credit", backend=args.backend, orders=args.orders, customers=args.customers, rules=len(RULES),
         budgets=budget_use,
         orders_credited=result["orders_credited"], points=result["points"], **credit.figures("credit"),
         orders_per_second=round(result["orders_credited"] / credit.wall),
         orders_per_cpu_second=round(result["orders_credited"] / credit.cpu),
         orders_per_total_cpu_second=round(result["orders_credited"] / (credit.cpu + (credit.pg or 0))),
         target_orders_per_second=10_000, met=result["orders_credited"] / credit.wall >= 10_000,
         replay_credited=again["orders_credited"], replay_seconds=round(replay.wall, 2), lots=lots, entries=entries,
         verify_differences=len(problems), verify_seconds=round(check.wall, 2), peak_memory_mb=peak_rss_mb())


def run_ledger(args, rng) -> None:
    from sqlalchemy import func, select

    from guanxi.loyalty import earning, points, store
    from guanxi.loyalty.models import PointEntry

    with scratch_dir("loyalty") as tmp, database(args.backend, "loyalty", tmp) as url:
        runtime = runtime_for(guanxi_env(tmp / "data", url))
        say(f"setup: {args.members:,} members, {args.lots:,} lots ({args.backend})")
        t0 = time.perf_counter()
        setup_ledger(runtime, args.members, args.lots, rng)
        analyze(url)
        setup_s = time.perf_counter() - t0
        at = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
        samples = []
        with Timed(url) as reads:
            for _ in range(args.reads):
                cid = rng.randint(1, args.members)
                t = time.perf_counter()
                with runtime.factory() as session:
                    points.summary(session, cid, now=at)
                samples.append(time.perf_counter() - t)
        latency = latency_ms(samples)
        say(f"balance reads p99 {latency['p99_ms']} ms")
        with Timed(url) as expiring:
            expired = earning.expire_points(runtime.factory, now=dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
        say(f"expired {expired['lots_expired']:,} lots in {expiring.wall:.1f} s")
        with Timed(url) as again:
            second = earning.expire_points(runtime.factory, now=dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
        with runtime.factory() as session:
            entries = session.scalar(select(func.count()).select_from(PointEntry))
            with Timed(url) as check:
                problems = store.verify(session)
        runtime.dispose()
    emit("loyalty_ledger", backend=args.backend, members=args.members, lots=args.lots,
         setup_seconds=round(setup_s, 1), balance_read_ms=latency, **reads.figures("reads"),
         balance_target_p99_ms=5, balance_met=latency["p99_ms"] < 5,
         lots_expired=expired["lots_expired"], points_expired=expired["points_expired"], **expiring.figures("expiry"),
         expiry_target_seconds=60, expiry_met=expiring.wall < 60,
         second_run_lots_expired=second["lots_expired"], second_run_seconds=round(again.wall, 2),
         entries_after=entries, verify_differences=len(problems), verify_seconds=round(check.wall, 2),
         peak_memory_mb=peak_rss_mb())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("part", nargs="?", choices=["credit", "ledger", "all"], default="all")
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--lots", type=int, default=5_000_000)
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--reads", type=int, default=2000)
    ap.add_argument("--budgets", action="store_true", help="campaign budgets on two rules (credit)")
    args = ap.parse_args(argv)
    if args.budgets:
        RULES["member-day"] = {**RULES["member-day"], "budget": 40 * args.orders}
        RULES["welcome"] = {**RULES["welcome"], "budget": 50 * args.customers}
    if args.part in ("credit", "all"):
        run_credit(args, random.Random(SEED))
    if args.part in ("ledger", "all"):
        run_ledger(args, random.Random(SEED))


if __name__ == "__main__":
    main()
