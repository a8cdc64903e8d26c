"""POST /api/v1/orders from 8 concurrent clients against `guanxi serve --workers 2` on PostgreSQL,
and in the same run the same load against bench/minimal_app.py (2 uvicorn workers, same
database), which does only the inserts. Target: Guanxi ≥ 60% of the minimal endpoint's rate,
with p99 < 100 ms.

Each request is a new order (unique external id); half of them name a returning customer
(one of 10,000 loaded beforehand), half a new one (a phone never seen). The two servers take
turns (warm-up each, then minimal, Guanxi, minimal, Guanxi, ...) so drift hits both alike;
the ratio is taken pair by pair and the median quoted.

Two variants, each with its own pair of servers: "as_shipped" (the servers as they run today)
and "nodelay" (both with TCP_NODELAY on accepted connections; see NODELAY_SITECUSTOMIZE below),
because uvicorn's multi-worker mode otherwise adds ~40 ms to every keep-alive response and hides
the cost of the endpoints themselves. Each run also gives the server processes' and the
PostgreSQL backends' CPU milliseconds per request, steadier than rates on a shared machine.

Load comes from wrk (a C load generator: `apt-get install -y wrk`); without it a Python
asyncio client stands in (it shares the 2 cores with the servers, so its figures are lower;
the JSON line says which generator ran).

    .venv/bin/python bench/bench_orders_api.py [--small] [--seconds 20] [--rounds 3] [--variants as_shipped,nodelay]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import (BIN, analyze, api_token, emit, free_port, group_cpu_seconds, guanxi_env, load_average,
                    load_customers, pg_backends_cpu, pg_cpu_since, pg_database, phone, runtime_for, say, scratch_dir,
                    server, server_tree_rss_mb)

CLIENTS = 8
RETURNING_SHARE = 0.5
TARGET_RATIO = 0.60
TARGET_P99_MS = 100

# wrk's Lua hooks: each request a fresh order; the thread number and a run number keep external
# ids and new customers' phones unique across threads and runs.
WRK_SCRIPT = r"""
local counter = 0
function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("thread_no", thread_count)
end
function init(args)
  run, pool, returning, source, token = tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), args[4], args[5]
  math.randomseed(1000 + run * 100 + thread_no)
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
end
function request()
  counter = counter + 1
  local n
  if math.random() < returning then
    n = math.random(0, pool - 1)
  else
    n = run * 10000000 + thread_no * 1000000 + counter
  end
  local phone = string.format("+86%d%08d", 130 + math.floor(n / 100000000) % 10, n % 100000000)
  local lines, total = {}, 0
  for i = 1, math.random(1, 3) do
    local qty, price = math.random(1, 3), math.random(10, 599) * 100
    total = total + qty * price
    lines[i] = string.format('{"sku":"SKU-%03d","name":"item %d","category":"bench/%d","quantity":%d,"unit_price_minor":%d}',
                             math.random(0, 999), i, i, qty, price)
  end
  local body = string.format('{"source":"%s","external_id":"%d-%d-%d","customer":{"phone":"%s","name":"Bench %d"},'
    .. '"placed_at":"2026-%02d-%02dT10:00:00+08:00","currency":"CNY","status":"paid","total_minor":%d,'
    .. '"channel":"site","lines":[%s]}',
    source, run, thread_no, counter, phone, n, math.random(1, 12), math.random(1, 28), total, table.concat(lines, ","))
  return wrk.format("POST", nil, headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_s":%.3f,"non_2xx":%d,"socket_errors":%d,'
    .. '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def wrk_load(url: str, seconds: float, run: int, pool: int, source: str, token: str, script: Path) -> dict:
    argv = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), url,
            "--", str(run), str(pool), str(RETURNING_SHARE), source, token]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    out = done.stdout
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{out}")
    figures = json.loads(line.removeprefix("WRK_JSON "))
    figures["rate_per_s"] = round(figures["requests"] / figures["duration_s"], 1)
    return figures


def python_load(url: str, seconds: float, run: int, pool: int, source: str, token: str) -> dict:
    """The stand-in for wrk: CLIENTS keep-alive connections in one asyncio loop."""
    u = make_url(url.replace("http://", "postgresql://"))  # only to split host, port and path
    host, port, path = u.host, u.port, "/" + (u.database or "")
    latencies: list[float] = []
    non_2xx = 0

    def body(rng: random.Random, client: int, count: int) -> bytes:
        n = rng.randrange(pool) if rng.random() < RETURNING_SHARE else run * 10 ** 7 + client * 10 ** 6 + count
        lines = [{"sku": f"SKU-{rng.randrange(1000):03d}", "name": f"item {i}", "category": f"bench/{i}",
                  "quantity": rng.randint(1, 3), "unit_price_minor": rng.randint(10, 599) * 100}
                 for i in range(1, rng.randint(1, 3) + 1)]
        return json.dumps({
            "source": source, "external_id": f"{run}-{client}-{count}",
            "customer": {"phone": phone(n), "name": f"Bench {n}"},
            "placed_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00+08:00",
            "currency": "CNY", "status": "paid", "channel": "site", "lines": lines,
            "total_minor": sum(l["quantity"] * l["unit_price_minor"] for l in lines)}).encode()

    async def client(no: int, deadline: float) -> None:
        nonlocal non_2xx
        rng = random.Random(1000 + run * 100 + no)
        reader, writer = await asyncio.open_connection(host, port)
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            payload = body(rng, no, count)
            head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
            started = time.perf_counter()
            writer.write(head + payload)
            status_line = await reader.readline()
            length = 0
            while (header := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not status_line.split()[1].startswith(b"2"):
                non_2xx += 1
        writer.close()

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(i + 1, started + seconds) for i in range(CLIENTS)))
        return time.perf_counter() - started

    duration = asyncio.run(main())
    s = sorted(latencies)
    pick = lambda p: round(s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000, 3)  # noqa: E731
    return {"requests": len(s), "duration_s": round(duration, 3), "non_2xx": non_2xx, "socket_errors": 0,
            "p50_ms": pick(50), "p90_ms": pick(90), "p99_ms": pick(99), "max_ms": round(s[-1] * 1000, 3),
            "rate_per_s": round(len(s) / duration, 1)}


def orders_stored(url: str, source: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM orders WHERE source = :s"), {"s": source}).scalar()
    engine.dispose()
    return count


# uvicorn --workers N binds the listening socket itself with proto 0; asyncio then never sets
# TCP_NODELAY on accepted connections, and every keep-alive response whose headers and body go
# out in two writes waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149, open for
# uvicorn 0.54). The "nodelay" variant runs both servers with this sitecustomize, which sets
# TCP_NODELAY as asyncio does for sockets it made itself (uvloop always does).
NODELAY_SITECUSTOMIZE = """
import asyncio.base_events, socket

def _set_nodelay(sock):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

asyncio.base_events._set_nodelay = _set_nodelay
"""
VARIANTS = ("as_shipped", "nodelay")


def measure(variant: str, env: dict, min_env: dict, db_url: str, tmp: Path, rounds: int, seconds: float,
            load) -> dict:
    if variant == "nodelay":
        site = tmp / "nodelay"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(NODELAY_SITECUSTOMIZE)
        env, min_env = ({**e, "PYTHONPATH": str(site)} for e in (env, min_env))
    gx_port, min_port = free_port(), free_port()
    gx_argv = [str(BIN / "guanxi"), "serve", "--workers", "2", "--port", str(gx_port)]
    min_argv = [str(BIN / "uvicorn"), "minimal_app:create_app", "--factory", "--app-dir", str(Path(__file__).parent),
                "--workers", "2", "--port", str(min_port), "--no-access-log", "--log-level", "warning"]
    urls = {"minimal": f"http://127.0.0.1:{min_port}/orders", "guanxi": f"http://127.0.0.1:{gx_port}/api/v1/orders"}
    runs: dict[str, list[dict]] = {"minimal": [], "guanxi": []}
    with server(gx_argv, env, gx_port, tmp / f"guanxi-{variant}.log") as gx_proc, \
            server(min_argv, min_env, min_port, tmp / f"minimal-{variant}.log") as min_proc:
        for which in ("minimal", "guanxi"):
            say(f"{variant}: warm-up {which}")
            load(which, urls[which], max(1, seconds / 4))
        procs = {"minimal": min_proc, "guanxi": gx_proc}
        for r in range(rounds):
            for which in ("minimal", "guanxi"):
                cpu0, pg0 = group_cpu_seconds(procs[which].pid), pg_backends_cpu(db_url)
                figures = load(which, urls[which], seconds)
                n = figures["requests"]
                figures["server_cpu_ms_per_request"] = round((group_cpu_seconds(procs[which].pid) - cpu0) / n * 1000, 3)
                figures["pg_cpu_ms_per_request"] = round(pg_cpu_since(db_url, pg0) / n * 1000, 3)
                figures["load_average"] = load_average()
                say(f"{variant} round {r + 1} {which}: {figures['rate_per_s']}/s p99 {figures['p99_ms']} ms"
                    f" non-2xx {figures['non_2xx']}")
                runs[which].append(figures)
        rss = {"guanxi_worker_peak_rss_mb": server_tree_rss_mb(gx_proc),
               "minimal_worker_peak_rss_mb": server_tree_rss_mb(min_proc)}
    ratios = [g["rate_per_s"] / m["rate_per_s"] for m, g in zip(runs["minimal"], runs["guanxi"])]
    median = lambda key, w: round(statistics.median(f[key] for f in runs[w]), 1)  # noqa: E731
    ratio = round(statistics.median(ratios), 3)
    p99 = median("p99_ms", "guanxi")
    summary = {w: {"rate_per_s": median("rate_per_s", w), "p50_ms": median("p50_ms", w), "p99_ms": median("p99_ms", w),
                   "server_cpu_ms_per_request": median("server_cpu_ms_per_request", w),
                   "pg_cpu_ms_per_request": median("pg_cpu_ms_per_request", w), "runs": runs[w]} for w in runs}
    return {**summary, "ratio": ratio, "ratios": [round(r, 3) for r in ratios], **rss,
            "meets_target": ratio >= TARGET_RATIO and p99 < TARGET_P99_MS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="3-second runs, 1 round, 1,000 returning customers")
    parser.add_argument("--seconds", type=float, default=None, help="length of each measured run (default 20)")
    parser.add_argument("--rounds", type=int, default=None, help="minimal/Guanxi pairs per variant (default 3)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"any of {', '.join(VARIANTS)}")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even if wrk is there")
    args = parser.parse_args()
    seconds = args.seconds or (3 if args.small else 20)
    rounds = args.rounds or (1 if args.small else 3)
    pool = 1_000 if args.small else 10_000
    variants = args.variants.split(",")
    if set(variants) - set(VARIANTS) or len(variants) * (2 + 2 * rounds) > 99:
        parser.error(f"variants are {VARIANTS}; at most 99 runs in all (run numbers name new customers' phones)")
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    if not use_wrk and not args.python_client:
        say("wrk not found (apt-get install -y wrk): falling back to the Python asyncio client")

    sources = {"minimal": "bench-minimal", "guanxi": "bench-guanxi"}
    answered = {"minimal": 0, "guanxi": 0}
    with scratch_dir("orders-api") as tmp, pg_database("orders_api") as db_url:
        env = guanxi_env(tmp / "data", db_url)
        runtime = runtime_for(env)
        say(f"loading {pool:,} returning customers")
        load_customers(runtime, pool)
        analyze(db_url)
        token = api_token(runtime, "tech")
        runtime.dispose()
        script = tmp / "orders.lua"
        script.write_text(WRK_SCRIPT)
        u = make_url(db_url)
        min_env = {**env, "BENCH_PG_DSN": f"host={u.host} port={u.port} user={u.username} dbname={u.database}"}
        run_no = 0

        def load(which: str, url: str, secs: float) -> dict:
            nonlocal run_no
            run_no += 1
            if use_wrk:
                figures = wrk_load(url, secs, run_no, pool, sources[which], token, script)
            else:
                figures = python_load(url, secs, run_no, pool, sources[which], token)
            if figures["non_2xx"] or figures["socket_errors"]:
                raise SystemExit(f"{which} at {url}: errors {figures}")
            answered[which] += figures["requests"]
            return figures

        results = {v: measure(v, env, min_env, db_url, tmp, rounds, seconds, load) for v in variants}
        stored = {w: orders_stored(db_url, s) for w, s in sources.items()}

    for which in sources:
        if stored[which] < answered[which]:
            raise SystemExit(f"{which}: {answered[which]} requests answered but only {stored[which]} orders stored")
    emit("orders_api", small=args.small, generator="wrk" if use_wrk else "python-asyncio", clients=CLIENTS,
         seconds_per_run=seconds, rounds=rounds, returning_share=RETURNING_SHARE, **results,
         target={"ratio": TARGET_RATIO, "p99_ms": TARGET_P99_MS})


if __name__ == "__main__":
    sys.exit(main())
