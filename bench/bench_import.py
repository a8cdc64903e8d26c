"""`guanxi import orders FILE --format guanxi` with 1,000,000 orders of 200,000 customers, on SQLite and
PostgreSQL, against a raw-driver baseline (sqlite3 executemany; psycopg COPY) that stores the same
customer, identity, product, order and line rows into the same schema, in the same run.
Targets: the import at ≥ 40% of the baseline's rate on both backends, peak memory < 500 MB.

The file (docs/IMPORT.md, format `guanxi`) is generated with a fixed seed: one row per order, each
order one line; every customer named by e-mail, phone (E.164) and name on each of its orders; the
first 200,000 orders give every customer one order, the rest go to customers at random; times in
+08:00 rising through two years. The baseline reads the same file with the csv module, encrypts
and blind-indexes the personal data with Guanxi's cipher (the stored rows must be the same kind),
gives ids itself and inserts in chunks of 20,000 orders, one transaction each. Two baseline
figures are given: end to end (file to committed rows, like the import) and inserts only; the
ratio is quoted against both.

    .venv/bin/python bench/bench_import.py [--small] [--backends sqlite,postgresql] [--keep-csv PATH]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sqlite3
import subprocess
import time
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import (BIN, CHANNELS, EPOCH, SEED, SKUS, database, email, emit, guanxi_env, load_average, name,
                    peak_rss_mb, phone, runtime_for, say, scratch_dir)

TARGET_RATIO = 0.40
TARGET_RSS_MB = 500
CHUNK = 20_000
SOURCE = "bench"
COLUMNS = ["source", "external_id", "customer_email", "customer_phone", "customer_name", "placed_at", "currency",
           "status", "total", "discount", "shipping", "channel", "sku", "product_name", "category", "quantity",
           "unit_price"]
TABLES = ("customers", "customer_identities", "products", "orders", "order_lines")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


# --- the file ----------------------------------------------------------------------------

def write_orders_csv(path: Path, orders: int, customers: int) -> None:
    """One row per order (one line each); deterministic for a given size."""
    rng = random.Random(SEED)
    first = list(range(customers))
    rng.shuffle(first)
    span = 730 * 86400
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for i in range(orders):
            c = first[i] if i < customers else rng.randrange(customers)
            placed = dt.datetime.fromtimestamp(EPOCH + i * span // orders + rng.randrange(60), SHANGHAI)
            sku, title, category = SKUS[rng.randrange(len(SKUS))]
            quantity, price = rng.randint(1, 3), rng.randrange(990, 59_900, 100)
            out.writerow([SOURCE, f"O{i:07d}", email(c), phone(c), name(c), placed.isoformat(), "CNY", "paid",
                          f"{quantity * price / 100:.2f}", "0", "0", CHANNELS[c % 4], sku, title, category,
                          quantity, f"{price / 100:.2f}"])


# --- the raw-driver baseline -------------------------------------------------------------

class Rows:
    """Turns the file's rows into the five tables' rows: what the import stores, computed directly."""

    def __init__(self, cipher, now: dt.datetime):
        from guanxi.customers.identity import identity_hash, profile_columns
        from guanxi.customers.records import IdentityKey

        self.cipher, self.now = cipher, now
        self._hash = lambda kind, value: identity_hash(cipher, IdentityKey(kind, "", value))
        self._profile = lambda n: profile_columns(cipher, {"name": n})
        self.customer_of: dict[str, int] = {}
        self.products: set[str] = set()
        self.next_order = 1

    def chunk(self, rows: list[list[str]]) -> dict[str, list[tuple]]:
        out: dict[str, list[tuple]] = {t: [] for t in TABLES}
        now, cipher = self.now, self.cipher
        for r in rows:
            (_, ext, mail, tel, who, placed, currency, status, total, discount, shipping, channel, sku, title,
             category, quantity, unit_price) = r
            cid = self.customer_of.get(tel)
            if cid is None:
                cid = self.customer_of[tel] = len(self.customer_of) + 1
                p = self._profile(who)
                out["customers"].append((cid, "active", p["name_enc"], p["name_prefix_hash"], p["name_initial_hash"],
                                         "zh-CN", "Asia/Shanghai", "[]", "{}", "{}", now, now, now))
                out["customer_identities"].append((cid, "email", "", cipher.encrypt(mail, context="email"),
                                                   self._hash("email", mail), now))
                out["customer_identities"].append((cid, "phone", "", cipher.encrypt(tel, context="phone"),
                                                   self._hash("phone", tel), now))
            price = round(float(unit_price) * 100)
            if sku not in self.products:
                self.products.add(sku)
                out["products"].append((sku, title, category, price, currency, True, 0))
            oid, self.next_order = self.next_order, self.next_order + 1
            at = dt.datetime.fromisoformat(placed).astimezone(dt.UTC)
            out["orders"].append((oid, SOURCE, ext, cid, at, status, currency, round(float(total) * 100),
                                  round(float(discount) * 100), round(float(shipping) * 100), 0, channel, now, now))
            out["order_lines"].append((oid, 1, sku, title, category, int(quantity), price, 0))
        return out


COLS = {
    "customers": "id, status, name_enc, name_prefix_hash, name_initial_hash, locale, timezone, tags, attributes, "
                 "preferences, acquired_at, created_at, updated_at",
    "customer_identities": "customer_id, kind, source, value_enc, value_hash, created_at",
    "products": "sku, name, category, price_minor, currency, returnable, warranty_months",
    "orders": "id, source, external_id, customer_id, placed_at, status, currency, total_minor, discount_minor, "
              "shipping_minor, refunded_minor, channel, created_at, updated_at",
    "order_lines": "order_id, line_no, sku, name, category, quantity, unit_price_minor, refunded_quantity",
}


def _sqlite_value(v):
    # What SQLAlchemy stores for UTCDateTime on SQLite: naive UTC text with microseconds.
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return v


def baseline(url: str, csv_path: Path, cipher) -> dict:
    is_pg = url.startswith("postgresql")
    if is_pg:
        u = make_url(url)
        conn = psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database)
    else:
        conn = sqlite3.connect(make_url(url).database, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):  # as guanxi.db sets them
            conn.execute(f"PRAGMA {pragma}")
    rows = Rows(cipher, dt.datetime.now(dt.UTC))
    insert_s = 0.0
    started = time.perf_counter()

    def flush(batch: list[list[str]]) -> None:
        nonlocal insert_s
        tables = rows.chunk(batch)
        t0 = time.perf_counter()
        if is_pg:
            with conn.cursor() as cur:
                for table in TABLES:
                    if tables[table]:
                        with cur.copy(f"COPY {table} ({COLS[table]}) FROM STDIN") as copy:
                            for row in tables[table]:
                                copy.write_row(row)
            conn.commit()
        else:
            conn.execute("BEGIN")
            for table in TABLES:
                marks = ", ".join("?" * len(COLS[table].split(",")))
                conn.executemany(f"INSERT INTO {table} ({COLS[table]}) VALUES ({marks})",
                                 [tuple(map(_sqlite_value, r)) for r in tables[table]])
            conn.execute("COMMIT")
        insert_s += time.perf_counter() - t0

    with csv_path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        if next(reader) != COLUMNS:
            raise SystemExit(f"{csv_path}: unexpected header")
        batch: list[list[str]] = []
        for r in reader:
            batch.append(r)
            if len(batch) == CHUNK:
                flush(batch)
                batch = []
        if batch:
            flush(batch)
    if is_pg:  # ids were given by hand: move the sequences past them, as a real load must
        with conn.cursor() as cur:
            for table in TABLES:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    total_s = time.perf_counter() - started
    conn.close()
    orders = rows.next_order - 1
    return {"seconds": round(total_s, 1), "orders_per_s": round(orders / total_s),
            "insert_seconds": round(insert_s, 1), "insert_orders_per_s": round(orders / insert_s)}


# --- the import --------------------------------------------------------------------------

def importer_missing() -> str | None:
    probe = subprocess.run([str(BIN / "guanxi"), "import", "orders", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        return ("`guanxi import orders` is not available in this checkout "
                f"({(probe.stderr or probe.stdout).strip().splitlines()[-1:]}); only the baseline ran")
    return None


def run_import(env: dict, csv_path: Path, log_dir: Path) -> dict:
    """Run the import as its own process and follow its peak memory (VmHWM) while it runs.

    Not the kernel's rusage of the child: on Linux a child's ru_maxrss starts from the parent's
    peak (it is carried over at fork and exec), which would report this script's memory.
    """
    argv = [str(BIN / "guanxi"), "import", "orders", str(csv_path), "--format", "guanxi", "--json"]
    out_path, err_path = log_dir / "import.out", log_dir / "import.err"
    peak = 0.0
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        while proc.poll() is None:
            try:
                peak = max(peak, peak_rss_mb(proc.pid))
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"guanxi import failed ({proc.returncode}):\n{err_path.read_text()[-3000:]}")
    summary = json.loads(out_path.read_text().strip().splitlines()[-1])
    return {"seconds": round(seconds, 1), "peak_rss_mb": peak, "summary": summary}


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    engine.dispose()
    return counts


def run_backend(backend: str, csv_path: Path, orders: int, missing: str | None) -> dict:
    result: dict = {}
    with scratch_dir(f"import-{backend}") as tmp:
        env = guanxi_env(tmp / "data", "sqlite:///unused")
        runtime = runtime_for(env)
        cipher = runtime.cipher
        runtime.dispose()
        (tmp / "baseline").mkdir()
        with database(backend, "import_base", tmp / "baseline") as url:
            say(f"{backend}: raw-driver baseline")
            load0 = load_average()
            result["baseline"] = {**baseline(url, csv_path, cipher), "load_average_at_start": load0}
            result["baseline"]["rows"] = baseline_counts = table_counts(url)
        if missing:
            result["import"] = None
            return result
        (tmp / "import").mkdir()
        with database(backend, "import_run", tmp / "import") as url:
            say(f"{backend}: guanxi import orders")
            load0 = load_average()
            imported = run_import({**env, "GUANXI_DATABASE_URL": url}, csv_path, tmp)
            imported["orders_per_s"] = round(orders / imported["seconds"])
            imported["rows"] = table_counts(url)
            imported["load_average_at_start"] = load0
            result["import"] = imported
        if imported["rows"] != baseline_counts:
            raise SystemExit(f"{backend}: the import stored {imported['rows']}, the baseline {baseline_counts}")
    b, i = result["baseline"], result["import"]
    result["ratio_end_to_end"] = round(i["orders_per_s"] / b["orders_per_s"], 3)
    result["ratio_inserts_only"] = round(i["orders_per_s"] / b["insert_orders_per_s"], 3)
    result["meets_target"] = (result["ratio_end_to_end"] >= TARGET_RATIO
                              and (i["peak_rss_mb"] or 0) < TARGET_RSS_MB)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="50,000 orders of 10,000 customers")
    parser.add_argument("--orders", type=int, default=None)
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--keep-csv", type=Path, default=None, help="write the file here and keep it")
    args = parser.parse_args()
    orders = args.orders or (50_000 if args.small else 1_000_000)
    customers = args.customers or (10_000 if args.small else 200_000)
    missing = importer_missing()
    if missing:
        say(missing)
    with scratch_dir("import-file") as tmp:
        csv_path = args.keep_csv or tmp / "orders.csv"
        say(f"writing {orders:,} orders of {customers:,} customers to {csv_path}")
        started = time.perf_counter()
        write_orders_csv(csv_path, orders, customers)
        gen = {"seconds": round(time.perf_counter() - started, 1), "mb": round(csv_path.stat().st_size / 2 ** 20, 1)}
        results = {}
        for backend in args.backends.split(","):
            results[backend] = run_backend(backend, csv_path, orders, missing)
            say(f"{backend}: {json.dumps(results[backend])}")  # kept in the log should a later part fail
    emit("import", small=args.small, orders=orders, customers=customers, lines_per_order=1, file=gen, **results,
         importer=missing or "ok", bench_process_peak_rss_mb=peak_rss_mb(),
         target={"ratio": TARGET_RATIO, "peak_rss_mb": TARGET_RSS_MB})


if __name__ == "__main__":
    main()
