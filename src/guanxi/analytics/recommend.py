"""Product recommendations: "customers who bought X also bought Y", per-customer top-N, popularity.

Item-to-item co-purchase at the customer level (Linden, Smith & York 2003): two products are
related when the same customers buy both. With B the binary customer x product matrix,
C = B'B counts co-buyers; the score of a pair is the cosine C_xy / sqrt(n_x n_y), which,
unlike raw counts, does not recommend the best seller to everyone, and, unlike lift, does
not crown two products bought once by the same person. Lift is kept for display.

A customer's recommendations add the summed scores of the neighbours of everything they
bought to the product's recent popularity (both scaled to [0, 1]) and drop what they already
have: on the demo shop the blend beats both co-purchase alone and popularity alone. Without consent to
personalisation the customer gets the popular products of a category instead (their history
is not used to pick it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

NEIGHBOURS = 30  # kept per product: enough for top-10 lists, small enough to store
# Chosen on demo shops of seeds 1-3 (hit rate@10 flat between 0.5 and 2); see rec_evaluation.
POPULARITY_WEIGHT = 1.0


@dataclass(frozen=True)
class Pair:
    sku: str
    other_sku: str
    co_buyers: int
    lift: float
    score: float


@dataclass(frozen=True)
class Popularity:
    sku: str
    category: str | None
    buyers: int
    recent_buyers: int


def buyer_matrix(customers, skus) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Binary customer x product matrix and the product of each column."""
    cust_ids, row = np.unique(np.asarray(customers), return_inverse=True)
    items, col = np.unique(np.asarray(skus, dtype=object).astype(str), return_inverse=True)
    m = sparse.csr_matrix((np.ones(len(row), dtype=np.float32), (row, col)), shape=(len(cust_ids), len(items)))
    m.data[:] = 1.0  # duplicates were summed: a customer buying twice is still one buyer
    return m, items


def item_pairs(customers, skus, *, min_co_buyers: int = 2, neighbours: int = NEIGHBOURS) -> list[Pair]:
    """The strongest co-purchase neighbours of each product."""
    if len(customers) == 0:
        return []
    b, items = buyer_matrix(customers, skus)
    n_customers = b.shape[0]
    co = (b.T @ b).tocoo()
    buyers = np.asarray(b.sum(axis=0)).ravel()
    keep = (co.row != co.col) & (co.data >= min_co_buyers)
    i, j, c = co.row[keep], co.col[keep], co.data[keep]
    score = c / np.sqrt(buyers[i] * buyers[j])
    lift = c * n_customers / (buyers[i] * buyers[j])
    order = np.lexsort((-score, i))
    pairs: list[Pair] = []
    taken: dict[int, int] = defaultdict(int)
    for k in order:
        if taken[i[k]] < neighbours:
            taken[i[k]] += 1
            pairs.append(Pair(items[i[k]], items[j[k]], int(c[k]), float(lift[k]), float(score[k])))
    return pairs


def popularity(customers, skus, categories, recent: Iterable[bool]) -> list[Popularity]:
    """Distinct buyers per product, all time and among the ``recent`` rows, most popular first."""
    all_buyers: dict[str, set] = defaultdict(set)
    recent_buyers: dict[str, set] = defaultdict(set)
    category_of: dict[str, str | None] = {}
    for cust, sku, cat, is_recent in zip(customers, skus, categories, recent):
        all_buyers[sku].add(cust)
        category_of.setdefault(sku, cat)
        if is_recent:
            recent_buyers[sku].add(cust)
    stats = [Popularity(s, category_of[s], len(b), len(recent_buyers.get(s, ()))) for s, b in all_buyers.items()]
    return sorted(stats, key=lambda p: (-p.recent_buyers, -p.buyers, p.sku))


def recommend(bought: Iterable[str], neighbours: Mapping[str, list[tuple[str, float]]],
              popularity: Mapping[str, float], n: int = 10, *,
              popularity_weight: float = POPULARITY_WEIGHT,
              unavailable: Collection[str] = ()) -> list[tuple[str, float, str]]:
    """Top ``n`` (sku, score, reason) for someone who bought ``bought``, among ``popularity``'s products,
    leaving out what they bought and what is ``unavailable`` (out of stock).

    score = (summed neighbour scores) / (the best such sum) + w * popularity / (the top popularity):
    co-purchase says what goes with this customer's basket, popularity what sells now; each is
    scaled to [0, 1] so that w is a plain trade-off. The reason is "also_bought" when the
    customer's own history contributed, "popular" otherwise.
    """
    have, gone = set(bought), set(unavailable)
    related: dict[str, float] = defaultdict(float)
    for sku in have:
        for other, score in neighbours.get(sku, ()):
            related[other] += score
    top_related = max(related.values(), default=0.0) or 1.0
    top_popular = max(popularity.values(), default=0.0) or 1.0
    scored = [(sku, related.get(sku, 0.0) / top_related + popularity_weight * pop / top_popular, sku in related)
              for sku, pop in popularity.items() if sku not in have and sku not in gone]
    scored.sort(key=lambda t: (-t[1], t[0]))
    return [(sku, round(score, 6), "also_bought" if own else "popular") for sku, score, own in scored[:n]]


def popular_in_category(stats: list[Popularity], category: str | None, n: int = 10, *,
                        unavailable: Collection[str] = ()) -> list[str]:
    """The most popular products of a category (the top-level part of "a/b" paths), then of the shop;
    nothing ``unavailable`` (out of stock)."""
    top = (category or "").split("/")[0]
    gone = set(unavailable)
    in_cat = [p.sku for p in stats if top and (p.category or "").split("/")[0] == top and p.sku not in gone]
    rest = [p.sku for p in stats if p.sku not in set(in_cat) and p.sku not in gone]
    return (in_cat + rest)[:n]


def neighbour_map(pairs: Iterable[Pair]) -> dict[str, list[tuple[str, float]]]:
    result: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for p in pairs:
        result[p.sku].append((p.other_sku, p.score))
    return result
