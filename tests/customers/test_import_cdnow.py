"""`guanxi import orders FILE --format cdnow` and `guanxi stats --json`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from guanxi.cli import _register, app
from guanxi.customers import profiles
from guanxi.customers.models import Customer, Order, OrderLine

CDNOW = Path(os.environ.get("GUANXI_CDNOW_DIR", Path(__file__).resolve().parents[3] / "shared/data/cdnow"))
SAMPLE = CDNOW / "CDNOW_sample.txt"


def guanxi(*args: str) -> dict | str:
    _register()
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1]) if "--json" in args else result.stdout


def expected_from(path: Path) -> tuple[int, int, int]:
    """(customers, orders, total in cents) computed from the file itself."""
    customers, orders, cents = set(), 0, 0
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields or fields[0] == "customer_id":
            continue
        customers.add(fields[0])
        orders += 1
        cents += int(Decimal(fields[-1]) * 100)
    return len(customers), orders, cents


def test_cdnow_sample_import_reimport_and_stats(runtime):
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} not found (set GUANXI_CDNOW_DIR)")
    customers, orders, cents = expected_from(SAMPLE)
    assert (customers, orders) == (2357, 6919)
    summary = guanxi("import", "orders", str(SAMPLE), "--format", "cdnow", "--json")
    assert (summary["rows"], summary["bad_rows"], summary["customers_created"], summary["orders_created"]) == (
        6919, 0, 2357, 6919)
    stats = guanxi("stats", "--json")
    assert (stats["customers"], stats["orders"], stats["order_lines"], stats["events"]) == (2357, 6919, 6919, 0)
    assert stats["orders_total_minor"] == {"USD": cents}

    with runtime.factory() as s:
        # Customer 00111 bought on 1997-01-01 and many times after; one paid USD order per row.
        rows = s.execute(select(Order.external_id, Order.placed_at, Order.total_minor, Order.status, Order.currency,
                                Order.customer_id)
                         .where(Order.external_id.like("00111-%")).order_by(Order.placed_at)).all()
        assert rows[0].external_id == "00111-19970101-1"
        assert rows[0].placed_at.isoformat() == "1997-01-01T12:00:00+00:00"
        assert {r.status for r in rows} == {"paid"} and {r.currency for r in rows} == {"USD"}
        assert len({r.customer_id for r in rows}) == 1
        view = profiles.view(s, runtime.cipher, rows[0].customer_id, reveal=True)
        assert view["identities"] == [{"kind": "external", "source": "cdnow", "value": "00111"}]
        assert view["orders_count"] == len(rows) and view["orders_total_minor"] == sum(r.total_minor for r in rows)
        assert s.get(Customer, rows[0].customer_id).acquired_at.date().isoformat() == "1997-01-01"
        line = s.scalar(select(OrderLine).where(OrderLine.order_id == s.scalar(
            select(Order.id).where(Order.external_id == "00004-19970101-1"))))
        assert (line.sku, line.quantity, line.unit_price_minor) == ("CDNOW-CD", 2, 1467)  # 29.33 for 2 CDs

    again = guanxi("import", "orders", str(SAMPLE), "--format", "cdnow", "--json")
    assert (again["orders_created"], again["orders_known"], again["customers_created"]) == (0, 6919, 0)
    assert guanxi("stats", "--json") == stats


def test_master_layout_numbers_same_day_purchases(runtime, tmp_path):
    log = tmp_path / "CDNOW_master.txt"
    log.write_text(" customer_id  date number_of_cds  dollar_value\r\n"
                   " 00002 19970112  1   12.00\r\n 00002 19970112  5   77.00\r\n 00003 19970102  2   20.76\r\n"
                   " 00003 19970230  2   20.76\r\n 00004 19970101  -1  11.77\r\n 00005 19970101  1   1.2.3\r\n"
                   " 00006 19970101  1\r\n\r\n")
    out = guanxi("import", "orders", str(log), "--format", "cdnow")
    assert "bad rows" in out and "error report" in out
    summary = guanxi("import", "orders", str(log), "--format", "cdnow", "--json")
    assert (summary["rows"], summary["bad_rows"], summary["orders_known"]) == (7, 4, 3)
    problems = {(e["line"], e["column"]): e["reason"] for e in summary["first_errors"]}
    assert "real date" in problems[(5, "date")]
    assert "negative" in problems[(6, "number_of_cds")]
    assert "not an amount" in problems[(7, "dollar_value")]
    assert "expected 4 columns" in problems[(8, "")]
    with runtime.factory() as s:
        ids = sorted(s.scalars(select(Order.external_id)))
    assert ids == ["00002-19970112-1", "00002-19970112-2", "00003-19970102-1"]


def test_customers_cannot_come_from_cdnow(tmp_path):
    log = tmp_path / "log.txt"
    log.write_text(" 00004 0001 19970101  2   29.33\n")
    _register()
    result = CliRunner().invoke(app, ["import", "customers", str(log), "--format", "cdnow"])
    assert result.exit_code == 2 and "cdnow" in result.output
