"""Find one customer by phone or e-mail among 200,000, through the service layer and raw.

Loads 200,000 customers (phone + e-mail each) through resolve_people in batches of 1,000,
then times, per backend, interleaved in rounds so that drift hits all three alike:
  search    profiles.search(session, cipher, q) in a fresh session, as the API does
            (clean, normalise, blind index, identity → customer rows);
  identity  normalise + blind index + identity.owners_of in a fresh session;
  raw       the driver alone (sqlite3 / psycopg), SELECT customer_id FROM customer_identities
            WHERE value_hash = ? with the hash computed beforehand, on one open connection.
Targets: search p99 < 1 ms on SQLite, < 5 ms on PostgreSQL. Each method's figures are wall-clock
latencies plus this process's CPU time per lookup ("cpu"), which a busy shared machine disturbs
less than the wall clock (it leaves out the database server's side on PostgreSQL).

    .venv/bin/python bench/bench_lookup.py [--small] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time

import psycopg
from sqlalchemy.engine import make_url

from common import (SEED, analyze, database, email, emit, guanxi_env, latency_ms, load_average, load_customers, phone,
                    runtime_for, say, scratch_dir)

TARGET_P99_MS = {"sqlite": 1.0, "postgresql": 5.0}


def raw_connection(url: str):
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database)
        return conn, "SELECT customer_id FROM customer_identities WHERE value_hash = ?"
    u = make_url(url)
    conn = psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database,
                           autocommit=True)
    return conn, "SELECT customer_id FROM customer_identities WHERE value_hash = %s"


def run_backend(backend: str, customers: int, lookups: int) -> dict:
    from guanxi.customers import normalise, profiles
    from guanxi.customers.identity import identity_hash, owners_of
    from guanxi.customers.records import IdentityKey

    with scratch_dir("lookup") as tmp, database(backend, "lookup", tmp) as url:
        runtime = runtime_for(guanxi_env(tmp / "data", url))
        cipher = runtime.cipher
        say(f"{backend}: loading {customers:,} customers through resolve_people")
        load_s = load_customers(runtime, customers)
        analyze(url)
        say(f"{backend}: loaded in {load_s:.1f} s; {lookups:,} lookups per method")

        rng = random.Random(SEED)

        def query(n: int) -> str:
            return phone(n) if n % 2 else email(n)

        def service_search(q: str) -> int:
            with runtime.factory() as session:
                found = profiles.search(session, cipher, q, limit=1)
            return found[0].id if found else 0

        def identity_lookup(q: str) -> int:
            kind = "email" if "@" in q else "phone"
            key = IdentityKey(kind, "", normalise.identity(kind, q))
            with runtime.factory() as session:
                owners = owners_of(session, [identity_hash(cipher, key)])
            return next(iter(owners.values()), 0)

        conn, sql = raw_connection(url)

        def raw_lookup(h: str) -> int:
            cur = conn.execute(sql, (h,))
            row = cur.fetchone()
            return row[0] if row else 0

        def raw_hash(q: str) -> str:
            kind = "email" if "@" in q else "phone"
            return identity_hash(cipher, IdentityKey(kind, "", q))

        methods = {"search": (service_search, lambda q: q), "identity": (identity_lookup, lambda q: q),
                   "raw": (raw_lookup, raw_hash)}
        times: dict[str, list[float]] = {m: [] for m in methods}
        cpu: dict[str, list[float]] = {m: [] for m in methods}
        warmup = min(500, lookups // 5)
        for round_no in range(warmup + lookups):
            for name, (fn, prepare) in methods.items():
                n = rng.randrange(customers)
                arg = prepare(query(n))
                started, cpu_started = time.perf_counter(), time.process_time()
                found = fn(arg)
                elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu_started
                if not found:
                    raise AssertionError(f"{name}: customer {n} ({query(n)}) not found")
                if round_no >= warmup:
                    times[name].append(elapsed)
                    cpu[name].append(cpu_elapsed)
        conn.close()
        runtime.dispose()
    figures = {m: {**latency_ms(t), "cpu": latency_ms(cpu[m])} for m, t in times.items()}
    target = TARGET_P99_MS[backend]
    return {
        "customers": customers, "load_average_at_end": load_average(), "load_s": round(load_s, 1), "load_customers_per_s": round(customers / load_s),
        **figures,
        "search_vs_raw_p50": round(figures["search"]["p50_ms"] / figures["raw"]["p50_ms"], 1),
        "search_vs_raw_p99": round(figures["search"]["p99_ms"] / figures["raw"]["p99_ms"], 1),
        "target_p99_ms": target, "meets_target": figures["search"]["p99_ms"] < target,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="20,000 customers, 1,000 lookups (a smoke run)")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--lookups", type=int, default=None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    customers = args.customers or (20_000 if args.small else 200_000)
    lookups = args.lookups or (1_000 if args.small else 5_000)
    results = {b: run_backend(b, customers, lookups) for b in args.backends.split(",")}
    emit("lookup", small=args.small, **results)


if __name__ == "__main__":
    main()
