"""A small synthetic shop stored through the customers domain, for the analytics storage tests."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from guanxi.customers import consents, profiles
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.db import transaction

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = dt.date(2026, 6, 30)
PRODUCTS = [("TEA-1", "tea/green"), ("TEA-2", "tea/green"), ("TEA-3", "tea/black"), ("CUP-1", "ware/cups"),
            ("CUP-2", "ware/cups"), ("POT-1", "ware/pots"), ("SNK-1", "snacks/nuts"), ("SNK-2", "snacks/fruit")]


def person(n: int) -> PersonIn:
    return PersonIn([IdentityKey("external", "shop", f"c{n}")], city="上海" if n % 3 == 0 else "北京",
                    acquisition_channel="wechat" if n % 2 else "site")


def seed_shop(runtime, customers: int = 60, seed: int = 7) -> dict[int, int]:
    """Orders for `customers` people over 18 months to AS_OF, plus two prospects; returns {n: customer id}.

    Tea buyers (even n) buy teas and cups, the others snacks and pots, so co-purchase has a signal.
    """
    rng = random.Random(seed)
    orders = []
    start = dt.date(2025, 1, 1)
    for n in range(customers):
        day = start + dt.timedelta(days=rng.randint(0, 400))
        gap = rng.choice((20, 45, 90))
        k = 0
        while day <= AS_OF and k < 12:
            family = PRODUCTS[:5] if n % 2 == 0 else PRODUCTS[5:]
            sku, cat = rng.choice(family)
            price = 5000 + 1000 * (n % 7)
            orders.append(OrderIn(
                source="shop", external_id=f"o{n}-{k}", person=person(n),
                placed_at=dt.datetime.combine(day, dt.time(12), TZ), currency="CNY", total_minor=price,
                lines=[LineIn(sku=sku, category=cat, quantity=1, unit_price_minor=price)]))
            k += 1
            day += dt.timedelta(days=int(rng.expovariate(1 / gap)) + 1)
            if rng.random() < 0.15:
                break
    with transaction(runtime.factory) as session:
        results = ingest_orders(session, runtime.cipher, orders)
        ids = {}
        for o, r in zip(orders, results):
            ids[int(o.person.identities[0].value[1:])] = r.customer_id
        for n in (customers, customers + 1):  # prospects: profiles without orders
            ids[n], _ = profiles.upsert_customer(session, runtime.cipher, person(n))
        for cid in ids.values():
            consents.set_consent(session, cid, "any", "personalisation", True)
    return ids
