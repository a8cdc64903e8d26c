"""`guanxi import events FILE --format ga4`: customer events from a GA4 BigQuery export (for the funnel)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from guanxi.analytics.ga4_import import import_ga4
from guanxi.cli import context
from guanxi.cli.imports import AS_JSON, DRY_RUN, FILE, import_app

out = Console()


class EventFormat(StrEnum):
    ga4 = "ga4"


@import_app.command("events")
def import_events(file: Path = FILE,
                  fmt: EventFormat = typer.Option(..., "--format", help="ga4: the BigQuery export, CSV or JSON lines"),
                  dry_run: bool = DRY_RUN, as_json: bool = AS_JSON) -> None:
    """Store page_view, view_item, add_to_cart, begin_checkout and purchase events; re-running changes nothing."""
    text = file.read_text(encoding="utf-8-sig")
    kind = "csv" if file.suffix.lower() == ".csv" else "jsonl"
    rt = context.runtime()
    try:
        with rt.factory() as session:
            report = import_ga4(session, rt.cipher, text, kind, dry_run=dry_run)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    finally:
        rt.dispose()
    data = {"file": str(file), "format": f"{fmt.value} ({kind})", "dry_run": dry_run, **report.as_dict()}
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    table = Table("", "", show_header=False, title=escape(f"events from {file} ({data['format']})"))
    would = "would be " if dry_run else ""
    for label, key in (("rows read", "rows"), (f"events {would}stored", "created"), ("events already known", "known"),
                       ("rows skipped (other event names)", "skipped"), ("bad rows", "bad_rows")):
        table.add_row(label, f"{data[key]:,}")
    out.print(table)
    for e in report.errors[:20]:
        out.print(f"line {e['line']}: {escape(e['reason'])}")
