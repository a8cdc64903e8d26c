"""The view → cart → order funnel over a date range, overall and per channel: values in, values out.

Steps, counted in distinct customers within [start, end] (the shop's local days):
    viewed   a page_view or product_view event
    carted   viewed, and an add_to_cart event
    ordered  carted, and a purchase: an order, or an imported ``purchase`` event (GA4)
A customer counts in the funnel of each channel they viewed in (the event's channel); their cart must
be in that channel too, their purchase may be anywhere (orders and site events name channels differently).
Step conversion = the step / the step before; overall = ordered / viewed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

VIEW_KINDS = frozenset({"page_view", "product_view"})
CART_KIND = "add_to_cart"
PURCHASE_KIND = "purchase"
STEPS = ("viewed", "carted", "ordered")


def _rate(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _steps(viewed: set, carted: set, ordered_people: set) -> dict:
    c = viewed & carted
    o = c & ordered_people
    counts = {"viewed": len(viewed), "carted": len(c), "ordered": len(o)}
    return {"steps": [{"step": s, "customers": counts[s],
                       "conversion": None if i == 0 else _rate(counts[s], counts[STEPS[i - 1]])}
                      for i, s in enumerate(STEPS)],
            "overall_conversion": _rate(counts["ordered"], counts["viewed"])}


def funnel(events, order_facts, start: dt.date, end: dt.date) -> dict:
    """``events``: (customer, kind, local day, channel); ``order_facts``: (customer, local day)."""
    viewed, carted = defaultdict(set), defaultdict(set)
    ordered = {c for c, day in order_facts if start <= day <= end}
    for customer, kind, day, channel in events:
        if not start <= day <= end:
            continue
        if kind in VIEW_KINDS:
            viewed[channel].add(customer)
        elif kind == CART_KIND:
            carted[channel].add(customer)
        elif kind == PURCHASE_KIND:
            ordered.add(customer)
    all_viewed = set().union(*viewed.values()) if viewed else set()
    all_carted = set().union(*carted.values()) if carted else set()
    channels = [{"channel": ch, **_steps(viewed[ch], carted[ch], ordered)}
                for ch in sorted(viewed, key=lambda ch: (-len(viewed[ch]), ch))]
    return {"from": start.isoformat(), "to": end.isoformat(), **_steps(all_viewed, all_carted, ordered),
            "channels": channels}
