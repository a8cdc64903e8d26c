"""Fake-review and malicious-complaint signals (values in, flags out). A flag asks a person to look;
it never hides a review on its own.

- duplicate_text: near-identical texts (Jaccard of character 3-gram shingles ≥ 0.8, candidates by MinHash LSH)
  from different authors;
- new_account_burst: at least `burst_min` reviews or complaints within an hour from accounts younger than
  `new_days` days, about one product;
- rating_text_mismatch: five stars over a negative text, or one star over a positive one.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from dataclasses import dataclass

DUPLICATE, BURST, MISMATCH = "duplicate_text", "new_account_burst", "rating_text_mismatch"
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class ReviewFacts:
    key: int | str               # the mention's id (or a stand-in before it has one)
    text: str
    author: str | None
    posted_at: dt.datetime
    author_since: dt.datetime | None = None
    product: str | None = None
    rating: int | None = None
    label: str | None = None


def shingles(text: str, k: int = 3) -> frozenset[str]:
    clean = _NOISE.sub("", text.lower())
    if len(clean) <= k:
        return frozenset({clean}) if clean else frozenset()
    return frozenset(clean[i:i + k] for i in range(len(clean) - k + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


_SEEDS = tuple(random.Random(seed).getrandbits(61) for seed in range(16))
BANDS, ROWS = 8, 2    # 16 MinHash values in 8 bands of 2: a pair at Jaccard 0.8 shares a band 99.9 % of the time


def minhash(sh: frozenset[str]) -> tuple[int, ...]:
    hashes = [hash(s) for s in sh]
    return tuple(min(h ^ seed for h in hashes) for seed in _SEEDS)


def duplicates(items: list[ReviewFacts], threshold: float = 0.8, min_chars: int = 8) -> set:
    """Keys of texts that nearly repeat a text by another author (MinHash LSH for candidates, then exact Jaccard)."""
    sh = [(r, shingles(r.text)) for r in items if len(_NOISE.sub("", r.text)) >= min_chars]
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i, (_, s) in enumerate(sh):
        sig = minhash(s)
        for band in range(BANDS):
            buckets[(band, sig[band * ROWS:(band + 1) * ROWS])].append(i)
    out, seen = set(), set()
    for members in buckets.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                (a, sa), (b, sb) = sh[i], sh[j]
                if a.author != b.author and jaccard(sa, sb) >= threshold:
                    out.update((a.key, b.key))
    return out


def bursts(items: list[ReviewFacts], *, new_days: int = 30, burst_min: int = 5,
           window: dt.timedelta = dt.timedelta(hours=1)) -> set:
    """Keys of mentions by young accounts that come in a burst about one product."""
    young = [r for r in items if r.author_since is not None and r.posted_at - r.author_since < dt.timedelta(days=new_days)]
    by_product: dict[str | None, list[ReviewFacts]] = defaultdict(list)
    for r in young:
        by_product[r.product].append(r)
    out = set()
    for group in by_product.values():
        group.sort(key=lambda r: r.posted_at)
        start = 0
        for end in range(len(group)):
            while group[end].posted_at - group[start].posted_at > window:
                start += 1
            if len({r.author for r in group[start:end + 1]}) >= burst_min:
                out.update(r.key for r in group[start:end + 1])
    return out


def mismatch(rating: int | None, label: str | None) -> bool:
    return rating is not None and ((rating >= 5 and label == "negative") or (rating <= 1 and label == "positive"))


def signals(items: list[ReviewFacts]) -> dict:
    """{key: [signal, …]} for every item with at least one signal."""
    out: dict = defaultdict(list)
    for key in duplicates(items):
        out[key].append(DUPLICATE)
    for key in bursts(items):
        out[key].append(BURST)
    for r in items:
        if mismatch(r.rating, r.label):
            out[r.key].append(MISMATCH)
    return dict(out)
