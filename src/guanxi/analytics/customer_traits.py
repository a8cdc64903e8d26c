"""Derived traits, prospect value and growth potential: computed in the bulk recompute, read per customer.

``store_traits`` is called by ``recompute`` once the day's scores exist; it reads orders, lines and
events once through ``customers.analytics_feed`` and replaces ``analytics_customer_traits``.
``customer_traits(session, customer_id)`` is the read side for care, segments and the API.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from guanxi.analytics import prospects
from guanxi.analytics.models import CustomerTraits
from guanxi.analytics.traits import EventFact, LineFact, OrderFact, derive_traits
from guanxi.customers import analytics_feed as feed
from guanxi.errors import NotFound

CHUNK = 5000
TRAIT_FIELDS = ("price_sensitivity", "discount_share", "favourite_categories", "preferred_channel",
                "preferred_hour", "rebuy_days", "p_first_order", "expected_first_order_minor",
                "growth_potential_minor", "growth_band")


def store_traits(session: Session, timezone: str, as_of: dt.date, now: dt.datetime, score_rows: list[dict]) -> dict:
    """Replace every live customer's traits as of ``as_of``; ``score_rows`` are the day's score rows."""
    tz = ZoneInfo(timezone)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tz)
    orders = [OrderFact(o.customer_id, o.placed_at, o.amount_minor, o.discount_minor, o.channel)
              for o in feed.order_facts(session, timezone=timezone) if o.placed_at < end]
    lines = [LineFact(line.customer_id, line.placed_at.astimezone(tz).date(), line.sku, line.category, line.quantity)
             for line in feed.purchase_lines(session) if line.placed_at < end]
    events = [EventFact(e.customer_id, e.kind, e.occurred_at, e.channel)
              for e in feed.events(session, timezone=timezone, end=end)]
    traits = derive_traits(orders, lines, events)

    first_order: dict[int, dt.date] = {}
    first_value: dict[int, int] = {}
    year_ago = as_of - dt.timedelta(days=365)
    spend: dict[int, int] = {}
    for o in orders:  # by customer then time: the first seen is the first order
        day = o.placed_at.date()
        if o.customer_id not in first_order:
            first_order[o.customer_id], first_value[o.customer_id] = day, o.amount_minor
        if day > year_ago:
            spend[o.customer_id] = spend.get(o.customer_id, 0) + o.amount_minor
    median_first = int(np.median(list(first_value.values()))) if first_value else 0
    model = prospects.fit_prospect_model([e.customer_id for e in events], [e.kind for e in events],
                                         [e.occurred_at.date() for e in events], first_order, as_of)
    prospect_ids = [r["customer_id"] for r in score_rows if r["lifecycle_stage"] == "prospect"]
    X = prospects.features([e.customer_id for e in events], [e.kind for e in events],
                           [e.occurred_at.date() for e in events], prospect_ids, as_of)
    p, value = prospects.prospect_values(model, X, median_first)
    growth = prospects.growth_potential({r["customer_id"]: r["clv_minor"] for r in score_rows
                                         if r.get("clv_minor") is not None}, spend)

    rows = []
    period = as_of.isoformat()
    scored_p = dict(zip(prospect_ids, zip(p.tolist(), value.tolist())))
    for r in score_rows:
        cid = r["customer_id"]
        t = traits.get(cid)
        row = {"customer_id": cid, **(t.as_row() if t else {"price_sensitivity": None, "discount_share": None,
               "favourite_categories": [], "preferred_channel": None, "preferred_hour": None, "rebuy_days": {}}),
               "p_first_order": None, "expected_first_order_minor": None, "growth_potential_minor": None,
               "growth_band": None, "period": period, "computed_at": now}
        if cid in scored_p:
            row["p_first_order"], row["expected_first_order_minor"] = round(scored_p[cid][0], 6), scored_p[cid][1]
        if cid in growth:
            row["growth_potential_minor"], row["growth_band"] = growth[cid]
        rows.append(row)
    session.execute(delete(CustomerTraits))
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(CustomerTraits.__table__), rows[start:start + CHUNK])
    bands = {b: sum(1 for r in rows if r["growth_band"] == b) for b in ("low", "medium", "high")}
    return {**model.summary(), "median_first_order_minor": median_first, "prospects_scored": len(prospect_ids),
            "growth_bands": bands}


def customer_traits(session: Session, customer_id: int) -> dict:
    """One customer's traits, prospect value and growth potential (the service function care and segments use).

    Follows merges; NotFound when the customer is unknown or has not been through a recompute yet.
    """
    cid = feed.resolve_customer(session, customer_id)
    row = session.get(CustomerTraits, cid)
    if row is None:
        raise NotFound(f"customer {cid} has no traits yet: run `guanxi analytics recompute` or wait for the daily job")
    return {"customer_id": cid, **{f: getattr(row, f) for f in TRAIT_FIELDS}, "traits_period": row.period}
