"""`guanxi import customers|orders FILE --format ...`: load a file, with a progress bar and a summary."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from guanxi.cli import app, context
from guanxi.customers.importing import run_import
from guanxi.customers.importing.report import Summary

out = Console()
err = Console(stderr=True)
import_app = typer.Typer(help="Load customers or orders from a file (CSV exports, the CDNOW log).",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")


class CustomerFormat(StrEnum):
    guanxi = "guanxi"
    shopify = "shopify"


class OrderFormat(StrEnum):
    guanxi = "guanxi"
    shopify = "shopify"
    cdnow = "cdnow"


FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="the file to load")
DRY_RUN = typer.Option(False, "--dry-run", help="check every row and report, writing nothing")
AS_JSON = typer.Option(False, "--json", help="print the summary as one JSON object")


@import_app.command("customers")
def import_customers(file: Path = FILE,
                     fmt: CustomerFormat = typer.Option(..., "--format", help="guanxi (docs/IMPORT.md) or shopify"),
                     dry_run: bool = DRY_RUN, as_json: bool = AS_JSON) -> None:
    """Create or update customers; re-running the same file changes nothing."""
    _run("customers", fmt.value, file, dry_run, as_json)


@import_app.command("orders")
def import_orders(file: Path = FILE,
                  fmt: OrderFormat = typer.Option(..., "--format", help="guanxi (docs/IMPORT.md), shopify or cdnow"),
                  dry_run: bool = DRY_RUN, as_json: bool = AS_JSON) -> None:
    """Record orders (and their customers); an order already known is not stored twice."""
    _run("orders", fmt.value, file, dry_run, as_json)


def _run(kind: str, fmt: str, file: Path, dry_run: bool, as_json: bool) -> None:
    rt = context.runtime()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    try:
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(f"{'checking' if dry_run else 'importing'} {file.name}", total=file.stat().st_size)
            summary = run_import(rt.factory, rt.cipher, rt.settings, kind=kind, fmt=fmt, path=file,
                                 dry_run=dry_run, progress=lambda done, total: bar.update(task, completed=done))
    finally:
        rt.dispose()
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        _print(summary)


def _print(s: Summary) -> None:
    c = s.counts
    title = f"{'dry run of ' if s.dry_run else ''}{s.kind} from {s.file} ({s.format}, {s.encoding})"
    out.print(escape(title))
    table = Table("", "", show_header=False)
    would = "would be " if s.dry_run else ""
    rows = [("rows read", s.rows), ("good rows", s.good_rows), ("bad rows", s.bad_rows),
            (f"customers {would}created", c.customers_created), ("customers already known", c.customers_known)]
    if s.kind == "customers":
        rows += [] if s.dry_run else [("customers updated", c.customers_updated),
                                      ("consents recorded", c.consents_recorded)]
    else:
        if s.dry_run:  # a dry run of orders does not resolve their customers
            rows = rows[:3]
        rows += [(f"orders {would}created", c.orders_created), ("orders already known", c.orders_known),
                 (f"order lines {would}created", c.order_lines)]
        if c.refunds_recorded:
            rows.append(("refunds recorded", c.refunds_recorded))
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    table.add_row("time", f"{s.seconds:.1f} s")
    out.print(table)
    if s.errors_path:
        shown = Table("line", "column", "value", "reason",
                      title=f"first {len(s.first_errors)} of the problems (all in the report)")
        for e in s.first_errors:
            shown.add_row(str(e.line), escape(e.column), escape(e.value[:40]), escape(e.reason))
        out.print(shown)
        out.print(f"error report: {escape(s.errors_path)}")
    elif s.rows:
        out.print("no bad rows")
