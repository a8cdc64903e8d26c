"""POST /api/v1/orders/batch with 1,000 orders per request, on PostgreSQL (target ≥ 10,000
orders/s) and SQLite (for reference), and the same batches through the service layer
(ingest_orders in this process) so that the HTTP overhead shows.

Per backend: 10,000 returning customers are loaded first; each order is new (unique external
id) and names a returning customer (half) or a new one (half), by phone, e-mail and name,
with 1–3 lines from 1,000 products. The HTTP part runs `guanxi serve --workers 2` with two
clients posting batches side by side; then one batch is replayed, which must answer 200 for
every order and store nothing new. The service part validates each batch (OrderCreate, as the
endpoint does) and then times ingest_orders + commit alone.

Besides the wall-clock rate, CPU seconds per 1,000 orders are given for the Guanxi process(es)
and the PostgreSQL backends: on a shared 2-core machine they say more than the wall clock.

    .venv/bin/python bench/bench_orders_batch.py [--small] [--batches 30] [--backends postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time

from sqlalchemy import create_engine, func, select

from common import (BIN, SEED, api_token, database, emit, free_port, group_cpu_seconds, guanxi_env,
                    latency_ms, load_average, load_customers, order_json, analyze, pg_backends_cpu, pg_cpu_since, runtime_for, say,
                    scratch_dir, server)

BATCH = 1_000
POOL = 10_000
CLIENTS = 2
TARGET_PG = 10_000


def make_batches(count: int, source: str, first_new: int, pool: int) -> list[list[dict]]:
    rng = random.Random(f"{SEED}-{source}")
    batches, new = [], first_new
    for b in range(count):
        orders = []
        for i in range(BATCH):
            if rng.random() < 0.5:
                customer = rng.randrange(pool)
            else:
                customer, new = new, new + 1
            orders.append(order_json(rng, source, f"{b}-{i}", customer))
        batches.append(orders)
    return batches


def post_batches(port: int, token: str, bodies: list[bytes], clients: int) -> tuple[float, list[float], list[dict]]:
    """Post the bodies from `clients` keep-alive connections; returns (seconds, latencies, replies)."""
    latencies: list[float] = []
    replies: list[dict] = [None] * len(bodies)  # type: ignore[list-item]
    errors: list[str] = []
    next_body = iter(range(len(bodies)))
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        while True:
            with lock:
                i = next(next_body, None)
            if i is None:
                break
            started = time.perf_counter()
            conn.request("POST", "/api/v1/orders/batch", body=bodies[i], headers=headers)
            response = conn.getresponse()
            data = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                errors.append(f"{response.status}: {data[:500]!r}")
                break
            replies[i] = json.loads(data)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"batch endpoint failed: {errors[0]}")
    return time.perf_counter() - started, latencies, replies


def count_orders(url: str, source: str) -> int:
    from guanxi.customers.models import Order

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Order).where(Order.source == source)).scalar()
    engine.dispose()
    return n


def http_part(url: str, env: dict, tmp, token: str, batches: list[list[dict]], clients: int) -> dict:
    bodies = [json.dumps({"orders": b}).encode() for b in batches]
    port = free_port()
    argv = [str(BIN / "guanxi"), "serve", "--workers", "2", "--port", str(port)]
    with server(argv, env, port, tmp / "guanxi.log") as proc:
        post_batches(port, token, bodies[:1], 1)  # warm-up: connections, caches, products
        cpu0, pg0, load0 = group_cpu_seconds(proc.pid), pg_backends_cpu(url), load_average()
        seconds, latencies, replies = post_batches(port, token, bodies[1:], clients)
        cpu1, pg_cpu = group_cpu_seconds(proc.pid), pg_cpu_since(url, pg0)
        statuses = {r["status"] for reply in replies for r in reply["results"]}
        if statuses != {201}:
            raise SystemExit(f"expected 201 for every new order, got statuses {statuses}")
        before = count_orders(url, batches[0][0]["source"])
        replay_s, _, replay = post_batches(port, token, bodies[1:2], 1)
        if {r["status"] for r in replay[0]["results"]} != {200} or count_orders(url, batches[0][0]["source"]) != before:
            raise SystemExit("replaying a batch changed something or did not answer 200 for every order")
    orders = BATCH * (len(bodies) - 1)
    return {"orders": orders, "clients": clients, "seconds": round(seconds, 2),
            "orders_per_s": round(orders / seconds), "request": latency_ms(latencies),
            "server_cpu_s_per_1000": round((cpu1 - cpu0) / orders * 1000, 3),
            "pg_cpu_s_per_1000": round(pg_cpu / orders * 1000, 3),
            "replay_orders_per_s": round(BATCH / replay_s), "load_average_at_start": load0}


def service_part(url: str, runtime, batches: list[list[dict]]) -> dict:
    from guanxi.customers.ingest import ingest_orders
    from guanxi.customers.schemas import OrderCreate

    validate_s = ingest_s = 0.0
    cpu0, pg0, load0 = time.process_time(), {}, load_average()
    for n, batch in enumerate(batches):
        started = time.perf_counter()
        records = [OrderCreate.model_validate(o).record() for o in batch]
        validated = time.perf_counter()
        if n == 1:  # the first batch warms up; count from the second
            cpu0, pg0 = time.process_time(), pg_backends_cpu(url)
        with runtime.factory() as session:
            ingest_orders(session, runtime.cipher, records)
            session.commit()
        if n >= 1:
            validate_s += validated - started
            ingest_s += time.perf_counter() - validated
    cpu1, pg_cpu = time.process_time(), pg_cpu_since(url, pg0)
    orders = BATCH * (len(batches) - 1)
    return {"orders": orders, "ingest_seconds": round(ingest_s, 2), "orders_per_s": round(orders / ingest_s),
            "validate_orders_per_s": round(orders / validate_s),
            "process_cpu_s_per_1000": round((cpu1 - cpu0) / orders * 1000, 3),
            "pg_cpu_s_per_1000": round(pg_cpu / orders * 1000, 3),
            "load_average_at_start": load0}


def run_backend(backend: str, count: int, pool: int, clients: int) -> dict:
    with scratch_dir("orders-batch") as tmp, database(backend, "orders_batch", tmp) as url:
        env = guanxi_env(tmp / "data", url)
        runtime = runtime_for(env)
        say(f"{backend}: loading {pool:,} returning customers")
        load_customers(runtime, pool)
        analyze(url)
        token = api_token(runtime, "tech")
        http_batches = make_batches(count + 1, "bench-http", 10 ** 7, pool)
        service_batches = make_batches(count + 1, "bench-service", 2 * 10 ** 7, pool)
        say(f"{backend}: service layer, {count} batches of {BATCH:,}")
        service = service_part(url, runtime, service_batches)
        runtime.dispose()
        say(f"{backend}: HTTP, {count} batches of {BATCH:,} from {clients} clients")
        over_http = http_part(url, env, tmp, token, http_batches, clients)
    return {"http": over_http, "service": service,
            "http_vs_service": round(over_http["orders_per_s"] / service["orders_per_s"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="4 batches, 1,000 returning customers")
    parser.add_argument("--batches", type=int, default=None, help="measured batches per part (default 30)")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    count = args.batches or (4 if args.small else 30)
    pool = 1_000 if args.small else POOL
    results = {b: run_backend(b, count, pool, args.clients) for b in args.backends.split(",")}
    pg = results.get("postgresql")
    emit("orders_batch", small=args.small, batch=BATCH, **results, target={"postgresql_orders_per_s": TARGET_PG},
         meets_target=None if pg is None else pg["http"]["orders_per_s"] >= TARGET_PG)


if __name__ == "__main__":
    main()
