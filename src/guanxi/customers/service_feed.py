"""What the service desk reads about orders (its complaint and return rates, the scheduled NPS),
so it never queries the customers domain's tables itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.models import Customer, Order, OrderLine, Product


@dataclass(frozen=True)
class OrderLineRow:
    order_id: int
    customer_id: int
    channel: str | None
    line_id: int
    sku: str
    quantity: int
    supplier: str | None


def order_lines_between(session: Session, since: dt.datetime, until: dt.datetime) -> Iterator[OrderLineRow]:
    """Every line of every order placed in [since, until) (any status but pending), with the product's supplier."""
    stmt = (select(Order.id, Order.customer_id, Order.channel, OrderLine.id, OrderLine.sku, OrderLine.quantity,
                   Product.supplier)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .outerjoin(Product, Product.sku == OrderLine.sku)
            .where(Order.placed_at >= since, Order.placed_at < until, Order.status != "pending")
            .order_by(Order.id, OrderLine.line_no))
    for row in session.execute(stmt.execution_options(yield_per=10_000)):
        yield OrderLineRow(*row)


def customers_with_orders(session: Session) -> list[int]:
    """Live customers with at least one order that is not pending or cancelled."""
    stmt = (select(Order.customer_id).join(Customer, Customer.id == Order.customer_id)
            .where(Customer.status == "active", Order.status.not_in(("pending", "cancelled")))
            .distinct().order_by(Order.customer_id))
    return list(session.scalars(stmt))
