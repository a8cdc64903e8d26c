"""Analytics from the command line."""

from __future__ import annotations

import datetime as dt
import json

import typer
from rich.console import Console
from rich.table import Table

from guanxi.cli import app, context
from guanxi.errors import Invalid

out = Console()
analytics_app = typer.Typer(help="Lifetime value, RFM and other figures.", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


@analytics_app.command("clv")
def clv(calibration_end: str = typer.Option(..., help="last day of the calibration period (YYYY-MM-DD)"),
        holdout_end: str = typer.Option(None, help="last day of the holdout period, to check the forecast"),
        currency: str = typer.Option(None, help="only orders in this currency"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Fit BG/NBD and Gamma-Gamma on the shop's orders (weeks, same-day purchases merged)."""
    from guanxi.analytics.shop_clv import fit_shop

    cal, hold = _date(calibration_end, "--calibration-end"), _date(holdout_end, "--holdout-end")
    rt = context.runtime()
    with rt.factory() as session:
        result = fit_shop(session, calibration_end=cal, holdout_end=hold, timezone=rt.settings.default_timezone,
                          currency=currency)
    rt.dispose()
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table("model", "parameter", "value", title=f"{result['customers']} customers to {cal}")
    for model in ("bgnbd", "gamma_gamma"):
        for key, value in result[model].items():
            table.add_row(model, key, f"{value:.4f}" if isinstance(value, float) else str(value))
    out.print(table)
    if "holdout" in result:
        h = result["holdout"]
        out.print(f"holdout to {h['end']}: predicted {h['predicted']:.0f} repeat purchases, actual {h['actual']}")


@analytics_app.command("recompute")
def recompute_cmd(as_of: str = typer.Option(None, "--as-of", help="score as of this day (default: today, shop time)"),
                  rfm_only: bool = typer.Option(False, "--rfm-only",
                                                help="only RFM, segments and lifecycle stages (fast); "
                                                     "P(alive), CLV, churn risk and traits stay as last computed"),
                  as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Recompute every customer's RFM segment, P(alive), CLV, churn risk and lifecycle stage now,
    then bring every dynamic segment's members up to date."""
    from guanxi.analytics.recompute import recompute_and_sync
    from guanxi.db import transaction

    day = _date(as_of, "--as-of")
    rt = context.runtime()
    try:
        with transaction(rt.factory) as session:
            result = recompute_and_sync(session, rt.settings, as_of=day, models=not rfm_only)
    finally:
        rt.dispose()
    if as_json:
        typer.echo(json.dumps(result))
        return
    out.print(f"scores as of {result['period']}: {result['customers']} customers "
              f"({result['scored']} with purchases); stages: "
              + ", ".join(f"{k} {v}" for k, v in sorted(result["stages"].items())))


@analytics_app.command("evaluate-recommendations")
def evaluate_recommendations(customers: int = typer.Option(5000, min=100, max=200_000, help="demo shop size"),
                             seed: int = typer.Option(1, help="demo shop seed"),
                             protocol: str = typer.Option("time-split", help="time-split or leave-last-out"),
                             cutoff: str = typer.Option("2026-05-01", help="time split: train on purchases up to this day"),
                             horizon_days: int = typer.Option(90, min=1, help="time split: test on the days after the cutoff"),
                             as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Hit rate, precision and recall@10 of the recommender against popularity on a demo shop: a time split,
    or leave-last-out (each customer's last purchase day held out)."""
    from guanxi.analytics.rec_evaluation import demo_rows, evaluate, evaluate_leave_last_out

    if protocol not in ("time-split", "leave-last-out"):
        raise typer.BadParameter("time-split or leave-last-out", param_hint="--protocol")
    rows = demo_rows(customers, seed)
    if protocol == "leave-last-out":
        result = evaluate_leave_last_out(rows)
        title = f"{result['customers_evaluated']} customers, each one's last purchase day held out"
    else:
        result = evaluate(rows, cutoff=_date(cutoff, "--cutoff"), horizon_days=horizon_days)
        title = f"{result['customers_evaluated']} customers, cutoff {result['cutoff']}, next {result['horizon_days']} days"
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table("model", *result["recommender"].keys(), title=title)
    for model in ("recommender", "popularity"):
        table.add_row(model, *(f"{v:.4f}" for v in result[model].values()))
    out.print(table)


@analytics_app.command("churn")
def churn_check(as_of: str = typer.Option(None, "--as-of", help="the day to score as of (default: today, shop time)"),
                horizon_days: int = typer.Option(90, min=7, max=365, help="churned = no purchase within this many days"),
                as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Out-of-time AUC of P(alive) against the supervised churn model on the shop's orders."""
    from guanxi.analytics.churn import choose_model
    from guanxi.analytics.recompute import churn_side_features, today
    from guanxi.customers.analytics_feed import purchases

    rt = context.runtime()
    try:
        day = _date(as_of, "--as-of") or today(rt.settings)
        with rt.factory() as session:
            rows = [(p.customer_id, p.day, p.amount_minor) for p in purchases(
                session, timezone=rt.settings.default_timezone, currency=rt.settings.default_currency)]
            if not rows:
                raise Invalid("there are no paid orders to check churn on")
            ids, days, amounts = zip(*rows)
            result = choose_model(ids, days, amounts, as_of=day, horizon_days=horizon_days,
                                  side=churn_side_features(session, rt.settings.default_timezone))
    finally:
        rt.dispose()
    result.pop("risk", None)
    if as_json:
        typer.echo(json.dumps(result))
        return
    if "auc" not in result:
        out.print(f"no comparison: {result.get('reason')}")
        return
    table = Table("score", "AUC", title=f"will buy within {horizon_days} days of {day}? (out of time)")
    for name, value in result["auc"].items():
        table.add_row(name, f"{value:.4f}")
    out.print(table)
    out.print("churn risk uses " + ("the supervised model" if result["use_model"] else "1 - P(alive)"))
