"""The shop's products as Guanxi knows them: created from order lines, stock as the shop last reported it."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from guanxi.customers.models import Product
from guanxi.dialect import insert_ignoring_conflicts

PRODUCTS = Product.__table__


def set_stock(session: Session, stock: dict[str, int]) -> dict:
    """Record units on hand per SKU (an unknown SKU becomes a product); sending the same figures again
    changes nothing. Answers how many products were new and how many were known."""
    if not stock:
        return {"created": 0, "updated": 0}
    known = set(session.scalars(select(PRODUCTS.c.sku).where(PRODUCTS.c.sku.in_(list(stock)))))
    new = [{"sku": sku, "name": "", "returnable": True, "warranty_months": 0, "stock": n}
           for sku, n in stock.items() if sku not in known]
    if new:
        session.execute(insert_ignoring_conflicts(session, PRODUCTS, ["sku"]), new)
    if known:
        session.execute(update(PRODUCTS).where(PRODUCTS.c.sku == bindparam("b_sku")).values(stock=bindparam("b_stock")),
                        [{"b_sku": sku, "b_stock": stock[sku]} for sku in known])
    return {"created": len(new), "updated": len(known)}
