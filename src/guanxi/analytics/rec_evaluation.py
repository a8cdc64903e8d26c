"""Offline evaluation of recommendations on a time split, against a popularity baseline.

Train on every purchase up to ``cutoff``; for each customer who bought before it and bought
something new (not bought before) in the ``horizon_days`` after it, rank ten products from
the training data alone and compare with what they went on to buy:

    hit rate@k     share of those customers with at least one of the k among their new products
    precision@k    mean over customers of |top k ∩ new products| / k
    recall@k       mean over customers of |top k ∩ new products| / |new products|

Both models exclude what the customer already bought, so they compete on the same ground.
The baseline ranks products by recent buyers (last 90 days before the cutoff), then all-time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable

from guanxi.analytics import recommend

RECENT_DAYS = 90


def evaluate(rows: Iterable[tuple], *, cutoff: dt.date, horizon_days: int = 90, k: int = 10) -> dict:
    """``rows``: (customer, sku, category, day). Returns the figures of both models and the split."""
    train, test = [], defaultdict(set)
    end = cutoff + dt.timedelta(days=horizon_days)
    for customer, sku, category, day in rows:
        if day <= cutoff:
            train.append((customer, sku, category, day))
        elif day <= end:
            test[customer].add(sku)
    bought = _bought(train)
    targets = {c: test[c] - bought[c] for c in test if bought.get(c) and test[c] - bought[c]}
    return {"cutoff": cutoff.isoformat(), "horizon_days": horizon_days,
            **_duel(train, bought, targets, cutoff - dt.timedelta(days=RECENT_DAYS), k)}


def evaluate_leave_last_out(rows: Iterable[tuple], *, k: int = 10) -> dict:
    """Leave-last-out: each customer's last purchase day is held out and everything else trains.

    ``rows``: (customer, sku, category, day). A customer is evaluated when they bought on two days
    at least and their last day brought something they had not bought before; the target is those
    new products. Popularity's "recent" is the 90 days before the last training day. Same figures,
    same exclusion of what was bought, as ``evaluate``.
    """
    rows = list(rows)
    days: dict = defaultdict(set)
    for customer, _, _, day in rows:
        days[customer].add(day)
    last = {c: max(d) for c, d in days.items() if len(d) >= 2}
    train = [r for r in rows if last.get(r[0]) != r[3]]
    test: dict = defaultdict(set)
    for customer, sku, _, day in rows:
        if last.get(customer) == day:
            test[customer].add(sku)
    bought = _bought(train)
    targets = {c: test[c] - bought[c] for c in test if test[c] - bought[c]}
    newest = max((r[3] for r in train), default=dt.date.min + dt.timedelta(days=RECENT_DAYS))
    return {"protocol": "leave-last-out", **_duel(train, bought, targets, newest - dt.timedelta(days=RECENT_DAYS), k)}


def _bought(train: list[tuple]) -> dict:
    bought: dict = defaultdict(set)
    for customer, sku, _, _ in train:
        bought[customer].add(sku)
    return bought


def _duel(train: list[tuple], bought: dict, targets: dict, recent_from: dt.date, k: int) -> dict:
    """Both models trained on ``train`` and scored on ``targets`` (customer -> new products)."""
    stats = recommend.popularity([r[0] for r in train], [r[1] for r in train], [r[2] for r in train],
                                 [r[3] > recent_from for r in train])
    popular = [p.sku for p in stats]
    weights = {p.sku: float(p.recent_buyers) for p in stats}
    neighbours = recommend.neighbour_map(recommend.item_pairs([r[0] for r in train], [r[1] for r in train]))

    def item_knn(have: set) -> list[str]:
        return [sku for sku, _, _ in recommend.recommend(have, neighbours, weights, k)]

    def by_popularity(have: set) -> list[str]:
        return [sku for sku in popular if sku not in have][:k]

    return {"k": k, "train_rows": len(train), "products": len(popular), "customers_evaluated": len(targets),
            "recommender": _score(item_knn, bought, targets, k),
            "popularity": _score(by_popularity, bought, targets, k)}


def _score(rank: Callable[[set], list[str]], bought: dict, targets: dict, k: int) -> dict:
    hits = precision = recall = 0.0
    for customer, new in targets.items():
        top = rank(bought[customer])[:k]
        found = len(set(top) & new)
        hits += found > 0
        precision += found / k
        recall += found / len(new)
    n = max(len(targets), 1)
    return {f"hit_rate@{k}": round(hits / n, 4), f"precision@{k}": round(precision / n, 4),
            f"recall@{k}": round(recall / n, 4)}


def demo_rows(customers: int = 3000, seed: int = 1, now: dt.datetime | None = None) -> list[tuple]:
    """(customer, sku, category, local day) of every kept line of a generated demo shop (no database)."""
    from guanxi.customers import demo

    now = now or dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    shop = demo.generate(customers, seed, now=now, activity=True)
    rows = []
    for order in shop.orders:
        if order.status != "paid":
            continue
        who = order.person.identities[0].value
        day = order.placed_at.astimezone(demo.SHOP_TZ).date()
        rows.extend((who, line.sku, line.category, day) for line in order.lines)
    return rows
