"""The demo shop, and de-duplication of customer profiles."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from guanxi.cli import app, context
from guanxi.customers import dedup as dedup_service
from guanxi.customers import demo as demo_shop
from guanxi.customers import normalise
from guanxi.customers.models import Customer
from guanxi.db import transaction
from guanxi.staff.roles import Actor, Role

out = Console()
DEDUP_ACTOR = Actor(kind="system", id=None, name="dedup", role=Role.admin)


@app.command()
def demo(customers: int = typer.Option(5000, "--customers", min=10, max=1_000_000, help="profiles to create"),
         seed: int = typer.Option(1, "--seed", help="the same seed makes the same shop"),
         if_empty: bool = typer.Option(False, "--if-empty", help="do nothing when there are customers already")) -> None:
    """Fill the database with a realistic bilingual demo shop (orders, refunds, events, planted duplicates)."""
    rt = context.runtime()
    try:
        with rt.factory() as session:
            existing = session.scalar(select(func.count()).select_from(Customer))
        if if_empty and existing:
            out.print(f"{existing} customers already there: no demo shop added")
            return
        shop = demo_shop.generate(customers, seed)
        steps = {"customers": len(shop.people), "orders": len(shop.orders), "events": len(shop.events)}
        with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=out, transient=False) as bar:
            tasks = {name: bar.add_task(name, total=total) for name, total in steps.items()}
            with transaction(rt.factory) as session:
                result = demo_shop.load(session, rt.cipher, shop,
                                        progress=lambda what, n: bar.advance(tasks[what], n))
        out.print(f"demo shop (seed {seed}): {result.created} new customers of {result.customers}, "
                  f"{result.orders} orders, {result.refunds} refunds, {result.events} events, "
                  f"{result.consents} consents; {len(result.duplicates)} planted duplicate pairs "
                  "for `guanxi dedup` to find")
    finally:
        rt.dispose()


@app.command()
def dedup(dry_run: bool = typer.Option(False, "--dry-run", help="list the pairs, change nothing"),
          threshold: float = typer.Option(None, "--threshold", min=0.01, max=1.0,
                                          help="merge pairs scoring at least this (default: the setting)"),
          min_score: float = typer.Option(dedup_service.MIN_SCORE, "--min-score", min=0.01, max=1.0,
                                          help="queue pairs scoring at least this"),
          show: int = typer.Option(30, "--show", min=0, help="how many pairs to list")) -> None:
    """Find probable duplicate profiles; merge the sure ones, queue the rest for review."""
    rt = context.runtime()
    threshold = threshold if threshold is not None else rt.settings.dedup_auto_merge_threshold
    try:
        with transaction(rt.factory) as session:
            report = dedup_service.run(session, rt.cipher, DEDUP_ACTOR, threshold=threshold, min_score=min_score,
                                       dry_run=dry_run)
            _print_pairs(session, rt.cipher, report, threshold, show)
            if dry_run:
                session.rollback()
    finally:
        rt.dispose()
    sure = sum(1 for m in report.matches if m.score >= threshold)
    summary = (f"{report.profiles} profiles compared in {report.seconds:.1f} s: {len(report.matches)} probable "
               f"duplicate pairs, {sure} at or above {threshold:g}")
    if dry_run:
        out.print(summary + " (dry run: nothing merged or queued)")
    else:
        out.print(summary + f"; merged {len(report.merged)}, {report.queued} new in the review queue"
                  + (f", {report.held_back} held back (dismissed or unmerged before)" if report.held_back else ""))


def _print_pairs(session, cipher, report, threshold: float, show: int) -> None:
    if not report.matches or not show:
        return
    table = Table("score", "profile A", "profile B", "why", "action")
    shown = {i for m in report.matches[:show] for i in (m.a_id, m.b_id)}
    names = {cid: enc for cid, enc in session.execute(
        select(Customer.id, Customer.name_enc).where(Customer.id.in_(shown)))}

    def who(cid: int) -> str:
        return f"{cid} {normalise.mask('name', cipher.decrypt(names.get(cid), context='name')) or ''}"

    for m in report.matches[:show]:
        table.add_row(f"{m.score:.2f}", who(m.a_id), who(m.b_id), "; ".join(m.reasons),
                      "merge" if m.score >= threshold else "review")
    out.print(table)
    if len(report.matches) > show:
        out.print(f"… and {len(report.matches) - show} more")
