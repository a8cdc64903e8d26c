"""Derived traits per customer, from their orders, order lines and events: values in, values out.

price_sensitivity     share of the customer's purchases that carried a discount (0..1)
discount_share        Σ discount / Σ (amount paid + discount) over those purchases (0..1)
favourite_categories  up to three categories by units bought (ties: the more recent first)
preferred_channel     the channel of most purchases; of most events when there is no purchase
preferred_hour        the local hour (0..23) most purchases and events fall in
rebuy_days            per product bought on two or more days: the median gap between those days

Everything is computed in one pass in the bulk recompute and stored in ``analytics_customer_traits``;
``customer_traits`` (``analytics.reports_traits``) is how care and segments read them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import median

TOP_CATEGORIES = 3
TOP_REBUY_PRODUCTS = 10  # the most re-bought products of a customer, to keep the row small


@dataclass(frozen=True)
class OrderFact:
    customer_id: int
    placed_at: dt.datetime  # local time of the shop
    amount_minor: int       # paid
    discount_minor: int
    channel: str | None


@dataclass(frozen=True)
class LineFact:
    customer_id: int
    day: dt.date            # local day of the order
    sku: str
    category: str | None
    quantity: int


@dataclass(frozen=True)
class EventFact:
    customer_id: int
    kind: str
    occurred_at: dt.datetime  # local time of the shop
    channel: str


@dataclass
class Traits:
    price_sensitivity: float | None = None
    discount_share: float | None = None
    favourite_categories: list[str] = field(default_factory=list)
    preferred_channel: str | None = None
    preferred_hour: int | None = None
    rebuy_days: dict[str, float] = field(default_factory=dict)

    def as_row(self) -> dict:
        return {"price_sensitivity": self.price_sensitivity, "discount_share": self.discount_share,
                "favourite_categories": self.favourite_categories, "preferred_channel": self.preferred_channel,
                "preferred_hour": self.preferred_hour, "rebuy_days": self.rebuy_days}


def _mode(counter: Counter):
    """The most common value; ties go to the smallest, so reruns agree."""
    if not counter:
        return None
    best = max(counter.values())
    return min(k for k, v in counter.items() if v == best)


def derive_traits(orders, lines, events) -> dict[int, Traits]:
    """Traits of every customer seen in ``orders``, ``lines`` or ``events`` (iterables of the facts above)."""
    out: dict[int, Traits] = defaultdict(Traits)
    discounted: Counter = Counter()
    counted: Counter = Counter()
    paid: Counter = Counter()
    discount: Counter = Counter()
    order_channels: dict[int, Counter] = defaultdict(Counter)
    event_channels: dict[int, Counter] = defaultdict(Counter)
    hours: dict[int, Counter] = defaultdict(Counter)
    for o in orders:
        counted[o.customer_id] += 1
        discounted[o.customer_id] += o.discount_minor > 0
        paid[o.customer_id] += max(o.amount_minor, 0)
        discount[o.customer_id] += max(o.discount_minor, 0)
        if o.channel:
            order_channels[o.customer_id][o.channel] += 1
        hours[o.customer_id][o.placed_at.hour] += 1
    for e in events:
        event_channels[e.customer_id][e.channel] += 1
        hours[e.customer_id][e.occurred_at.hour] += 1
    units: dict[int, Counter] = defaultdict(Counter)
    last_day: dict[tuple[int, str], dt.date] = {}
    days: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for line in lines:
        if line.category:
            units[line.customer_id][line.category] += line.quantity
            key = (line.customer_id, line.category)
            last_day[key] = max(last_day.get(key, line.day), line.day)
        days[line.customer_id][line.sku].add(line.day)

    for cid, n in counted.items():
        t = out[cid]
        t.price_sensitivity = round(discounted[cid] / n, 4)
        whole = paid[cid] + discount[cid]
        t.discount_share = round(discount[cid] / whole, 4) if whole else 0.0
    for cid, c in units.items():
        ranked = sorted(c, key=lambda cat: (-c[cat], -last_day[(cid, cat)].toordinal(), cat))
        out[cid].favourite_categories = ranked[:TOP_CATEGORIES]
    for cid in set(order_channels) | set(event_channels):
        out[cid].preferred_channel = _mode(order_channels.get(cid) or event_channels[cid])
    for cid, c in hours.items():
        out[cid].preferred_hour = _mode(c)
    for cid, per_sku in days.items():
        gaps = {}
        for sku, ds in per_sku.items():
            if len(ds) >= 2:
                s = sorted(ds)
                gaps[sku] = float(median((b - a).days for a, b in zip(s, s[1:])))
        top = sorted(gaps, key=lambda k: (-len(per_sku[k]), k))[:TOP_REBUY_PRODUCTS]
        out[cid].rebuy_days = {k: gaps[k] for k in sorted(top)}
    return dict(out)
