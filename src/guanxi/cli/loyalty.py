"""Loyalty from the command line: verify the ledger, expire points, evaluate tiers."""

from __future__ import annotations

import json

import typer

from guanxi.cli import app, context
from guanxi.db import utcnow

loyalty_app = typer.Typer(help="Points ledger checks and scheduled loyalty work, run by hand.", no_args_is_help=True)
app.add_typer(loyalty_app, name="loyalty")


@loyalty_app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Rebuild every points balance and store-credit wallet from its ledger entries; report any difference (exit 1 if any)."""
    from guanxi.loyalty import store, wallet

    rt = context.runtime()
    with rt.factory() as session:
        problems = store.verify(session) + wallet.verify(session)
    rt.dispose()
    if as_json:
        typer.echo(json.dumps({"ok": not problems, "differences": problems}))
    elif problems:
        for p in problems:
            typer.echo(f"customer {p['customer_id']}: {json.dumps({k: v for k, v in p.items() if k != 'customer_id'})}")
    else:
        typer.echo("ok: every cached balance and wallet equals the sum of its entries")
    if problems:
        raise typer.Exit(1)


@loyalty_app.command("expire")
def expire(as_json: bool = typer.Option(False, "--json")) -> None:
    """Expire every lot whose time has come (safe to run any number of times)."""
    from guanxi.loyalty import earning

    rt = context.runtime()
    result = earning.expire_points(rt.factory, now=utcnow())
    rt.dispose()
    typer.echo(json.dumps(result) if as_json else f"{result['lots_expired']} lots, {result['points_expired']} points expired")


@loyalty_app.command("credit")
def credit(as_json: bool = typer.Option(False, "--json")) -> None:
    """Credit paid orders, reverse refunds and release points whose return window has passed."""
    from guanxi.loyalty import earning

    rt = context.runtime()
    now = utcnow()
    result = earning.credit_paid_orders(rt.factory, now=now)
    result.update(earning.reverse_refunds(rt.factory, now=now))
    result.update(earning.release_pending(rt.factory, now=now))
    rt.dispose()
    typer.echo(json.dumps(result) if as_json else ", ".join(f"{k}: {v}" for k, v in result.items()))


@loyalty_app.command("evaluate-tiers")
def evaluate_tiers(as_json: bool = typer.Option(False, "--json")) -> None:
    """The tier evaluation date: downgrades (one step) happen here, upgrades happen at once anyway."""
    from guanxi.loyalty import tiers

    rt = context.runtime()
    result = tiers.evaluate_all(rt.factory, now=utcnow())
    rt.dispose()
    typer.echo(json.dumps(result) if as_json else f"{result['members']} members, {result['changed']} changed")


@loyalty_app.command("settle")
def settle(partner: str = typer.Option(..., "--partner", help="the partner's code"),
           month: str = typer.Option(..., "--month", help="YYYY-MM, in the shop's time zone (GUANXI_DEFAULT_TIMEZONE)"),
           as_json: bool = typer.Option(False, "--json", help="print the statement as one JSON object"),
           as_csv: bool = typer.Option(False, "--csv", help="print the statement as CSV (each earn and voucher use)")
           ) -> None:
    """A partner's monthly settlement: points issued and redeemed there, times the agreed value per point."""
    from guanxi.loyalty import partners

    rt = context.runtime()
    tz = rt.settings.default_timezone
    try:
        with rt.factory() as session:
            row = partners.get_partner(session, partner)
            summary = partners.statement(session, row, month, tz)
            lines = partners.statement_lines(session, row, month, tz) if as_csv else []
    finally:
        rt.dispose()
    if as_csv:
        typer.echo(partners.statement_csv(summary, lines), nl=False)
    elif as_json:
        typer.echo(json.dumps(summary, default=lambda v: v.isoformat()))
    else:
        cur = summary["currency"]
        typer.echo(f"{summary['name']} ({summary['partner']}) {month}, {tz}")
        for kind in ("issued", "redeemed"):
            t = summary[kind]
            typer.echo(f"{kind}: {t['points']} points in {t['count']}, {t['value_minor']} {cur} minor units")
        typer.echo(f"net: {summary['net_minor']} {cur} minor units "
                   + ("owed by the partner" if summary["net_minor"] >= 0 else "owed to the partner"))
