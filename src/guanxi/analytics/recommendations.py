"""Recommendations for one customer, served from the pairs and popularity the recompute stored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.analytics import recommend
from guanxi.analytics.models import ItemPair, ItemStat
from guanxi.customers import analytics_feed as feed


def _popularity(session: Session) -> list[recommend.Popularity]:
    rows = session.execute(select(ItemStat.sku, ItemStat.category, ItemStat.buyers, ItemStat.recent_buyers))
    return sorted((recommend.Popularity(*r) for r in rows), key=lambda p: (-p.recent_buyers, -p.buyers, p.sku))


def for_customer(session: Session, customer_id: int, *, limit: int = 10, category: str | None = None) -> dict:
    """Top ``limit`` products for a customer.

    With consent to personalisation: neighbours of what they bought, minus what they bought,
    topped up with popular products. Never what the shop says is out of stock. Without it their history is not read at all: the reply is
    the popular products of ``category`` (the page they are on), or of the shop.
    """
    cid = feed.resolve_customer(session, customer_id)
    stats = _popularity(session)
    catalogue = feed.product_catalogue(session)
    category_of = {p.sku: p.category for p in stats}
    gone = feed.out_of_stock(session)
    if not feed.allows_personalisation(session, cid):
        picks = [(sku, 0.0, "popular_in_category" if category else "popular")
                 for sku in recommend.popular_in_category(stats, category, limit, unavailable=gone)]
        personalised = False
    else:
        bought = {line.sku for line in feed.purchase_lines(session, customer_id=cid)}
        pairs = session.execute(select(ItemPair.sku, ItemPair.other_sku, ItemPair.score)
                                .where(ItemPair.sku.in_(bought))) if bought else []
        neighbours: dict[str, list[tuple[str, float]]] = {}
        for sku, other, score in pairs:
            neighbours.setdefault(sku, []).append((other, score))
        top = (category or "").split("/")[0]
        weights = {p.sku: float(p.recent_buyers) for p in stats
                   if not top or (p.category or "").split("/")[0] == top}
        picks = recommend.recommend(bought, neighbours, weights, limit, unavailable=gone)
        personalised = True
    items = [{"sku": sku, "name": catalogue.get(sku, ("", None))[0],
              "category": catalogue.get(sku, (None, category_of.get(sku)))[1] or category_of.get(sku),
              "score": score, "reason": reason} for sku, score, reason in picks]
    return {"customer_id": cid, "personalised": personalised, "items": items}
