"""`guanxi care ...`: run the triggers for a day, drain the outbox, list campaigns."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import typer
from rich.console import Console
from rich.table import Table

from guanxi.cli import app, context
from guanxi.errors import Invalid

out = Console()
care_app = typer.Typer(help="Customer care: campaigns, triggers and the outbox.", no_args_is_help=True)
app.add_typer(care_app, name="care")


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"--date: {value!r} is not a date (YYYY-MM-DD)") from None


@care_app.command("run-triggers")
def run_triggers_command(
        date: str = typer.Option(None, "--date", help="the customers' local date to run for (default: now, per zone)"),
        campaign: int = typer.Option(None, "--campaign", help="only this campaign"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Choose each active campaign's audience and queue its messages, once per customer per period."""
    from guanxi.care import privacy_hooks  # noqa: F401
    from guanxi.care.settings import load_care_settings
    from guanxi.care.triggers import run_triggers

    day = _day(date)
    rt = context.runtime()
    try:
        # With --date, windows (deliveries, last orders) are measured from that day's noon in the shop's zone.
        now = (dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC) if day else None)
        results = run_triggers(rt.factory, rt.cipher, rt.secrets.session_secret, load_care_settings(),
                               now=now, today=day, campaign_id=campaign)
    finally:
        rt.dispose()
    if as_json:
        typer.echo(json.dumps({str(k): v for k, v in results.items()}))
        return
    table = Table("campaign", "chosen", "queued", "control", "repeated", "skipped")
    for cid, r in results.items():
        table.add_row(str(cid), str(r["chosen"]), str(r["queued"]), str(r["control"]), str(r["repeated"]),
                      ", ".join(f"{k}: {v}" for k, v in r["skipped"].items()) or "-")
    out.print(table)


@care_app.command("drain")
def drain_command(limit: int = typer.Option(None, "--limit", min=1, help="at most this many messages"),
                  as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Send the outbox's due messages now (the worker does this every minute)."""
    from guanxi.care.delivery import run_drain
    from guanxi.care.settings import load_care_settings

    rt = context.runtime()
    try:
        report = run_drain(rt.factory, rt.settings, rt.cipher, rt.secrets.session_secret, load_care_settings(),
                           owner=f"cli-{uuid.uuid4().hex[:8]}", limit=limit)
    finally:
        rt.dispose()
    typer.echo(json.dumps(report) if as_json else
               ", ".join(f"{k}: {v}" for k, v in report.items() if k != "reasons"))


@care_app.command("campaigns")
def campaigns_command(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """The campaigns with their status and outbox counts."""
    from guanxi.care import campaigns

    rt = context.runtime()
    try:
        with rt.factory() as session:
            rows = [campaigns.report(session, c.id) for c in campaigns.list_campaigns(session)]
    finally:
        rt.dispose()
    if as_json:
        typer.echo(json.dumps([{k: r[k] for k in ("campaign_id", "name", "status", "outbox")} for r in rows]))
        return
    table = Table("id", "name", "status", "queued", "sent", "delivered", "suppressed")
    for r in rows:
        o = r["outbox"]
        table.add_row(str(r["campaign_id"]), r["name"], r["status"], str(o["queued"]), str(o["sent"]),
                      str(o["delivered"]), str(o["suppressed"]))
    out.print(table)
