"""What every benchmark here shares: throwaway databases, a data dir with secrets, a server
process, the generated shop, percentiles, peak memory and the one JSON line of figures.

Benchmarks are scripts (`.venv/bin/python bench/bench_x.py [--small]`); they import this
module from their own directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("GUANXI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SEED = 20261111
# Every head: while branches of the migration history are being merged there can be several.
HEADS = "heads"
EPOCH = 1_700_000_000  # 2023-11-14: orders are placed in the two years after it


# --- figures -----------------------------------------------------------------------------

def emit(benchmark: str, **figures) -> None:
    """The benchmark's result: one JSON line on stdout (progress goes to stderr)."""
    print(json.dumps({"benchmark": benchmark, **figures, "machine": machine()}, ensure_ascii=False), flush=True)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_ms(samples_s: list[float]) -> dict:
    s = sorted(samples_s)
    return {"n": len(s), "p50_ms": round(percentile(s, 50) * 1000, 3), "p90_ms": round(percentile(s, 90) * 1000, 3),
            "p99_ms": round(percentile(s, 99) * 1000, 3), "max_ms": round(s[-1] * 1000, 3)}


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a live process, or of this one."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def children_peak_rss_mb() -> float:
    """The largest peak resident memory of any waited-for child process so far."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds of every live process in a process group (a server and its workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    total += cpu_seconds(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
    return total


def pg_backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds per client backend now connected to this database (empty for SQLite).

    Read from /proc, so only when PostgreSQL runs on this machine and we may read its processes;
    autovacuum workers are left out (they come and go, and bill later what others wrote).
    """
    if not url.startswith("postgresql"):
        return {}
    engine = create_engine(PG_URL)
    with engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND backend_type = 'client backend'"),
                            {"d": make_url(url).database}).scalars().all()
    engine.dispose()
    used = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            used[pid] = cpu_seconds(pid)
    return used


def pg_cpu_since(url: str, before: dict[int, float]) -> float:
    """CPU seconds the database's client backends used since `before` (a pg_backends_cpu reading)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in pg_backends_cpu(url).items())


def analyze(url: str) -> None:
    """Fresh planner statistics, as a live database has them (autovacuum would, a minute later)."""
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
        engine.dispose()


def load_average() -> float:
    """The 1-minute load average: how many others wanted the 2 cores while we measured."""
    return round(os.getloadavg()[0], 2)


def machine() -> dict:
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    return {"cores": os.cpu_count(), "mem_gib": round(mem_kb / 1024 ** 2), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": _pg_version()}


def _pg_version() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
        return version.split()[0]
    except Exception:
        return None


# --- databases and runtime ---------------------------------------------------------------

@contextlib.contextmanager
def pg_database(label: str) -> Iterator[str]:
    """A migrated PostgreSQL database for one run, dropped afterwards (even on error)."""
    from guanxi import migrate

    name = f"guanxi_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url, HEADS)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    from guanxi import migrate

    path = directory / "guanxi.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, HEADS)
    yield url


@contextlib.contextmanager
def scratch_dir(label: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"guanxi-bench-{label}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def database(backend: str, label: str, directory: Path) -> Iterator[str]:
    if backend == "postgresql":
        with pg_database(label) as url:
            yield url
    else:
        with sqlite_database(directory) as url:
            yield url


def guanxi_env(data_dir: Path, url: str) -> dict[str, str]:
    """The environment of a Guanxi process using this database, with secrets made on first use."""
    from guanxi.privacy.secrets import ensure_secrets

    data_dir.mkdir(parents=True, exist_ok=True)
    ensure_secrets(data_dir / "secrets.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUANXI_")}
    env.update({"GUANXI_DATA_DIR": str(data_dir), "GUANXI_DATABASE_URL": url, "GUANXI_ENV": "test"})
    return env


def runtime_for(env: dict[str, str]):
    from guanxi.config import load_settings
    from guanxi.runtime import build_runtime

    settings = load_settings(_env_file=None, data_dir=Path(env["GUANXI_DATA_DIR"]),
                             database_url=env["GUANXI_DATABASE_URL"], env="test")
    return build_runtime(settings)


def api_token(runtime, role: str = "tech") -> str:
    from guanxi.db import transaction
    from guanxi.staff import service as staff_service

    with transaction(runtime.factory) as session:
        _, plain = staff_service.create_token(session, name=f"bench-{uuid.uuid4().hex[:8]}", role=role)
    return plain


# --- server processes --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(argv: list[str], env: dict[str, str], port: int, log_path: Path, *,
           ready_path: str = "/healthz", timeout: float = 60) -> Iterator[subprocess.Popen]:
    """Start a server process, wait until it answers, stop it (SIGTERM, then SIGKILL) afterwards."""
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not answer in {timeout} s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        log.close()


def server_tree_rss_mb(proc: subprocess.Popen) -> float:
    """Peak resident memory of the largest process in a server's process group."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == proc.pid:
                    peaks.append(peak_rss_mb(int(entry.name)))
            except (OSError, ProcessLookupError):
                continue
    return max(peaks, default=float("nan"))


# --- the generated shop ------------------------------------------------------------------
# Deterministic: customer n always has the same phone, e-mail and name, so that every
# benchmark (and the import generator) names the same people the same way.

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
LATIN = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Leo", "Chloe", "Ethan"]
SKUS = [(f"SKU-{c[:3].upper()}-{n:03d}", f"{c} item {n}", f"{c}/{n % 7}")
        for c in ("apparel", "beauty", "electronics", "food") for n in range(250)]
CHANNELS = ("site", "wechat", "douyin", "shopify")


def phone(n: int) -> str:
    """A valid CN mobile number in E.164, unique for n < 10**9."""
    return f"+86{130 + (n // 10 ** 8) % 10}{n % 10 ** 8:08d}"


def email(n: int) -> str:
    return f"c{n}@bench.example.com"


def name(n: int) -> str:
    if n % 5 == 4:
        return f"{LATIN[n % 10]} {LATIN[(n // 10) % 10]}son"
    g = len(GIVEN)
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 20) % g] + GIVEN[(n // (20 * g)) % g]


def order_json(rng: random.Random, source: str, external_id: str, customer: int, *,
               with_email: bool = True) -> dict:
    """One order in the API's shape: 1–3 lines from a catalogue of 1,000 products."""
    lines = []
    for _ in range(rng.randint(1, 3)):
        sku, title, category = SKUS[rng.randrange(len(SKUS))]
        lines.append({"sku": sku, "name": title, "category": category, "quantity": rng.randint(1, 3),
                      "unit_price_minor": rng.randrange(990, 59_900, 100)})
    placed = EPOCH + rng.randrange(730 * 86400)
    ref = {"phone": phone(customer), "name": name(customer)}
    if with_email:
        ref["email"] = email(customer)
    return {"source": source, "external_id": external_id, "customer": ref,
            "placed_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(placed)),
            "currency": "CNY", "status": "paid",
            "total_minor": sum(l["quantity"] * l["unit_price_minor"] for l in lines),
            "channel": CHANNELS[customer % 4], "lines": lines}


def people_records(start: int, stop: int):
    """PersonIn values for customers start..stop-1 (phone and e-mail), for resolve_people."""
    from guanxi.customers.records import IdentityKey, PersonIn

    return [PersonIn(identities=[IdentityKey("phone", "", phone(n)), IdentityKey("email", "", email(n))],
                     name=name(n), acquisition_channel=CHANNELS[n % 4]) for n in range(start, stop)]


def load_customers(runtime, count: int, *, batch: int = 1000, first: int = 0) -> float:
    """Create customers first..first+count-1 through resolve_people in batches; returns seconds."""
    from guanxi.customers.identity import resolve_people
    from guanxi.db import transaction

    started = time.perf_counter()
    for lo in range(first, first + count, batch):
        people = people_records(lo, min(lo + batch, first + count))
        with transaction(runtime.factory) as session:
            resolve_people(session, runtime.cipher, people)
    return time.perf_counter() - started
