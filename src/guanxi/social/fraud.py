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
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

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
    if not a or not b:
        return 0.0
    both = len(a & b)
    return both / (len(a) + len(b) - both)


# MinHash over a stable hash of each shingle (Python's hash() changes per process, and the signatures' bands are
# stored): each of the 16 functions a*h + b (mod 2**64, a odd) is a permutation of the 64-bit values.
_RNG = np.random.default_rng(20261123)
_A = _RNG.integers(1, 2**63, size=16, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _RNG.integers(0, 2**63, size=16, dtype=np.uint64)
BANDS, ROWS = 8, 2    # 16 MinHash values in 8 bands of 2: a pair at Jaccard 0.8 shares a band 99.9 % of the time
MIN_CHARS = 8


def clean(text: str) -> str:
    return _NOISE.sub("", text.lower())


def minhash(cleaned: str, k: int = 3) -> np.ndarray:
    """16 MinHash values of the text's character k-gram shingles (the same shingles as `shingles`)."""
    codes = np.frombuffer(cleaned.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) > k:
        h = np.zeros(len(codes) - k + 1, dtype=np.uint64)
        for i in range(k):  # polynomial over the k code points, wrapping mod 2**64
            h = h * np.uint64(0x100000001B3) + codes[i:len(codes) - k + 1 + i]
    else:
        h = np.array([int(sum(int(c) << (21 * i) for i, c in enumerate(codes)))], dtype=np.uint64)
    h ^= h >> np.uint64(29)   # mix, so that neighbouring code points do not give neighbouring hashes
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(32)
    return (np.multiply.outer(_A, h) + _B[:, None]).min(axis=1)


def band_keys(signature: np.ndarray, scope: str = "") -> list[int]:
    """One key per LSH band (63-bit, to fit a BIGINT); `scope` keeps bands of different products apart."""
    prefix = scope.encode()
    return [int.from_bytes(hashlib.blake2b(prefix + bytes([band]) + signature[band * ROWS:(band + 1) * ROWS].tobytes(),
                                           digest_size=8).digest(), "little") >> 1 for band in range(BANDS)]


def duplicates(items: list[ReviewFacts], threshold: float = 0.8, min_chars: int = MIN_CHARS) -> set:
    """Keys of texts that nearly repeat a text by another author (MinHash LSH for candidates, then exact Jaccard)."""
    sh = [(r, shingles(r.text)) for r in items if len(clean(r.text)) >= min_chars]
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, (r, _) in enumerate(sh):
        for key in band_keys(minhash(clean(r.text))):
            buckets[key].append(i)
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
