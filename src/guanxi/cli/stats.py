"""`guanxi stats [--json]`: how much the shop's database holds (live rows)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.cli import app, context
from guanxi.customers.models import Customer, CustomerEvent, Identity, Order, OrderLine, Product

out = Console()


def figures(session: Session) -> dict:
    """Counts of live rows: merged and erased customers are not customers any more."""

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    totals = session.execute(select(Order.currency, func.coalesce(func.sum(Order.total_minor), 0))
                             .group_by(Order.currency).order_by(Order.currency))
    return {
        "customers": count(Customer, Customer.status == "active"),
        "identities": count(Identity),
        "orders": count(Order),
        "order_lines": count(OrderLine),
        "events": count(CustomerEvent),
        "products": count(Product),
        "orders_total_minor": {currency: int(total) for currency, total in totals},
    }


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Counts of customers, orders, order lines and events (merged and erased customers left out)."""
    rt = context.runtime()
    with rt.factory() as session:
        data = figures(session)
    rt.dispose()
    if as_json:
        typer.echo(json.dumps(data))
        return
    table = Table("", "count", show_header=False)
    for name, value in data.items():
        if isinstance(value, dict):
            for currency, total in value.items():
                table.add_row(f"orders total ({currency}, minor units)", f"{total:,}")
        else:
            table.add_row(name.replace("_", " "), f"{value:,}")
    out.print(table)
