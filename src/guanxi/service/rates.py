"""Complaint and return rates per product, supplier, channel, segment and tier over a date range.

complaint rate = complaint tickets / orders, return rate = returns / order lines, for the orders
placed in the range, and negative-review rate = negative reviews / reviews of those orders. A
complaint is a ticket about one of those orders (survey follow-ups left out: they repeat a complaint
already counted); it counts for the products of the lines it names, or of the whole order when it
names none. A review counts for the order's line of its product, or for the whole order when it names
no product of the order; a review confirmed fake is left out. Orders and products come from
customers.service_feed, reviews from social.reviews, the segment from analytics, the tier from loyalty."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.analytics import reports as analytics_reports
from guanxi.customers import service_feed
from guanxi.errors import NotFound
from guanxi.loyalty import tiers
from guanxi.service.models import Ticket, TicketReturn
from guanxi.social import reviews as social_reviews

DIMENSIONS = ("product", "supplier", "channel", "segment", "tier")
NONE = "—"
CHUNK = 500


def _segment(session: Session, customer_id: int) -> str:
    try:
        return analytics_reports.customer_scores(session, customer_id).get("segment") or NONE
    except NotFound:   # not scored yet, or erased since
        return NONE


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def rates(session: Session, since: dt.datetime, until: dt.datetime) -> dict:
    lines = list(service_feed.order_lines_between(session, since, until))
    by_order = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(line)
    customers = sorted({line.customer_id for line in lines})
    segment = {cid: _segment(session, cid) for cid in customers}
    tier = {cid: tiers.tier_of(session, cid) or NONE for cid in customers}
    keys = {
        "product": lambda ln: ln.sku, "supplier": lambda ln: ln.supplier or NONE,
        "channel": lambda ln: ln.channel or NONE, "segment": lambda ln: segment[ln.customer_id],
        "tier": lambda ln: tier[ln.customer_id],
    }
    complaints = []
    for ids in _chunks(sorted(by_order)):
        complaints += session.execute(select(Ticket.id, Ticket.order_id, Ticket.order_line_ids).where(
            Ticket.order_id.in_(ids), Ticket.source != "survey")).all()
    returned = defaultdict(int)
    for ids in _chunks([ln.line_id for ln in lines]):
        for line_id, in session.execute(select(TicketReturn.order_line_id).where(
                TicketReturn.kind == "return", TicketReturn.order_line_id.in_(ids))):
            returned[line_id] += 1
    reviews = []
    for ids in _chunks(sorted(by_order)):
        reviews += social_reviews.order_reviews(session, ids)
    out = {}
    for dim in DIMENSIONS:
        key = keys[dim]
        orders, line_count, returns, tickets_in = (defaultdict(set), defaultdict(int), defaultdict(int),
                                                    defaultdict(set))
        for ln in lines:
            orders[key(ln)].add(ln.order_id)
            line_count[key(ln)] += 1
            returns[key(ln)] += returned.get(ln.line_id, 0)
        for ticket_id, order_id, named in complaints:
            named = set(named or ())
            for ln in by_order[order_id]:
                if not named or ln.line_id in named:
                    tickets_in[key(ln)].add(ticket_id)
        reviewed, negative = defaultdict(set), defaultdict(set)
        for rv in reviews:
            about = [ln for ln in by_order[rv.order_id] if ln.sku == rv.product_sku] or by_order[rv.order_id]
            for ln in about:
                reviewed[key(ln)].add(rv.mention_id)
                if rv.negative:
                    negative[key(ln)].add(rv.mention_id)
        out[dim] = sorted(({"key": k, "orders": len(orders[k]), "complaints": len(tickets_in[k]),
                            "complaint_rate": round(len(tickets_in[k]) / len(orders[k]), 4),
                            "lines": line_count[k], "returns": returns[k],
                            "return_rate": round(returns[k] / line_count[k], 4),
                            "reviews": len(reviewed[k]), "negative_reviews": len(negative[k]),
                            "negative_review_rate": (round(len(negative[k]) / len(reviewed[k]), 4)
                                                     if reviewed[k] else None)} for k in orders),
                          key=lambda r: (-r["complaint_rate"], -r["orders"], r["key"]))
    return {"since": since, "until": until, "orders": len(by_order), "lines": len(lines),
            "complaints": len(complaints), "reviews": len(reviews),
            "negative_reviews": sum(rv.negative for rv in reviews), **out}
