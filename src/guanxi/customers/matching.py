"""Record linkage for probable duplicates: blocking, then scoring pairs with rapidfuzz.

Pure values in, values out: the caller decrypts profiles into `MatchRecord`s in memory.
Blocking keeps the work near linear: only profiles that share a block key are compared
(name + birthday, family-name initial + birthday + city, name + city, same address, and
deletion neighbourhoods of phone digits and e-mail user names, so one typo still lands two
profiles in one block).
Scoring is Fellegi–Sunter in spirit: each agreement or disagreement adds a weight in bits,
and the sum becomes a probability. Reasons say what agreed, never the personal data.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from guanxi.customers import normalise

PRIOR_BITS = -8.0       # two profiles that share a block are rarely the same person
MAX_BLOCK = 200         # a bigger block (a shared office address) says little; it is skipped
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)


@dataclass(slots=True)
class MatchRecord:
    """What matching needs of one profile, in plain text (in memory only)."""

    id: int
    name_key: str = ""        # NFKC, Traditional → Simplified, lower case, no spaces (normalise.name_key)
    name_exact: str = ""      # NFKC only
    name_plain: str = ""      # NFKC, lower case, no spaces: tells script from case or spacing differences
    name_tokens: str = ""     # lower case, words separated by one space (for reordered Latin names)
    cjk: bool = False         # a name in Chinese characters
    birthday: str | None = None  # YYYY-MM-DD or --MM-DD
    city: str | None = None
    address_key: str | None = None
    gender: str | None = None
    phones: tuple[str, ...] = ()  # national digits
    emails: tuple[str, ...] = ()


def make_record(id: int, *, name: str | None = None, birthday: str | None = None, city: str | None = None,
                address_key: str | None = None, gender: str | None = None, phones: Iterable[str] = (),
                emails: Iterable[str] = (), keys: dict[str, str] | None = None) -> MatchRecord:
    """`address_key` is any equality key of the normalised address (the stored blind index will do).

    `keys` caches match keys across the records of one run: names and cities repeat a lot (王伟,
    上海), and converting each distinct one once keeps 200,000 profiles fast.
    """
    keys = {} if keys is None else keys
    r = MatchRecord(id=id, birthday=birthday, gender=gender if gender not in (None, "unknown") else None,
                    city=_key(city, keys) or None if city else None, address_key=address_key)
    if name:
        cleaned = normalise.clean_text(name)
        r.name_key = _key(cleaned, keys)
        r.name_exact = cleaned
        r.name_plain = _PUNCT.sub("", cleaned.lower()).replace(" ", "")
        r.name_tokens = _SPACE.sub(" ", _PUNCT.sub(" ", cleaned.lower())).strip()
        r.cjk = bool(r.name_key) and all(unicodedata.east_asian_width(ch) in "WF" for ch in r.name_key)
    r.phones = tuple(sorted({p.removeprefix("+86").lstrip("+") for p in phones}))
    r.emails = tuple(sorted(set(emails)))
    return r


def _key(text: str, keys: dict[str, str]) -> str:
    key = keys.get(text)
    if key is None:
        key = keys[text] = normalise.name_key(text)
    return key


# -- blocking -------------------------------------------------------------------------------

def _deletions(value: str) -> Iterator[str]:
    """The value and every way of deleting one character: two values within one edit share one."""
    yield value
    for i in range(len(value)):
        yield value[:i] + value[i + 1:]


def block_keys(r: MatchRecord) -> Iterator[tuple]:
    if r.name_key and r.birthday:
        yield ("nb", r.name_key, r.birthday[-5:])
        # A typo in the name: same family-name initial, birthday and city.
        yield ("ni", r.name_key[0], r.birthday[-5:], r.city)
    if r.name_key and r.city:
        yield ("nc", r.name_key, r.city)
    if r.address_key:
        yield ("ad", r.address_key)
    for phone in r.phones:
        for variant in _deletions(phone):
            yield ("ph", variant)
    for email in r.emails:
        local, _, domain = email.partition("@")
        if len(local) >= 4:
            yield ("el", local)               # same user name, another provider (or a typo in the domain)
            for variant in _deletions(local):
                yield ("ed", variant, domain)  # a typo in the user name


def candidate_pairs(records: Sequence[MatchRecord], max_block: int = MAX_BLOCK) -> np.ndarray:
    """Index pairs (i < j) of records that share at least one block key, each pair once."""
    keys = array("q")
    owners = array("q")
    for i, r in enumerate(records):
        for key in block_keys(r):
            keys.append(hash(key))
            owners.append(i)
    if not keys:
        return np.empty((0, 2), dtype=np.int64)
    k = np.frombuffer(keys, dtype=np.int64)
    o = np.frombuffer(owners, dtype=np.int64)
    order = np.argsort(k, kind="stable")
    k, o = k[order], o[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    n = len(records)
    codes = []
    # All blocks of one size at once: block starts x the upper triangle of a size-by-size grid.
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_block)]).tolist():
        first = starts[sizes == size]
        left, right = np.triu_indices(size, k=1)
        a, b = o[first[:, None] + left], o[first[:, None] + right]
        codes.append((np.minimum(a, b) * n + np.maximum(a, b)).ravel())
    if not codes:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(codes))
    pairs = np.stack((codes // n, codes % n), axis=1)
    return pairs[pairs[:, 0] != pairs[:, 1]]


# -- scoring --------------------------------------------------------------------------------

def _name(a: MatchRecord, b: MatchRecord, holders: int) -> tuple[float, str | None]:
    if not a.name_key or not b.name_key:
        return 0.0, None
    if a.name_key == b.name_key:
        # Sharing a rare name says more than sharing 王伟 with a hundred other customers.
        weight = 5.0 - min(3.0, max(0.0, math.log2(holders / 8))) if holders > 8 else 5.0
        common = " (a common name)" if weight < 4.0 else ""
        if a.name_exact == b.name_exact:
            return weight, "same name" + common
        if a.name_plain == b.name_plain:
            return weight, "same name, written differently (case or spacing)" + common
        return weight, "same name in Traditional and Simplified characters" + common
    shortest = min(len(a.name_key), len(b.name_key))
    distance = OSA.distance(a.name_key, b.name_key, score_cutoff=2)
    if a.cjk and b.cjk:
        # Chinese names are two or three characters: one character off is a typo or another person.
        if distance == 1 and a.name_key[0] == b.name_key[0]:
            return (2.0 if shortest >= 3 else 1.0), "name differs by one character"
        return -5.0, "different names"
    if distance == 1 and shortest >= 4:
        return 3.5, "name differs by one letter"
    similarity = fuzz.token_sort_ratio(a.name_tokens, b.name_tokens)
    if similarity >= 90:
        return 3.0, "similar name"
    if distance == 2 and shortest >= 8:
        return 2.0, "name differs by two letters"
    return -5.0, "different names"


def _phone(a: MatchRecord, b: MatchRecord) -> tuple[float, str | None]:
    if not a.phones or not b.phones:
        return 0.0, None
    best = min(OSA.distance(x, y, score_cutoff=3) for x in a.phones for y in b.phones)
    if best == 1:
        return 7.0, "phone numbers differ by one digit"
    if best == 2:
        return 3.0, "phone numbers differ by two digits"
    return -1.0, None  # many people keep a second number


def _email(a: MatchRecord, b: MatchRecord) -> tuple[float, str | None]:
    if not a.emails or not b.emails:
        return 0.0, None
    best = (-1.0, None)
    for x in a.emails:
        lx, _, dx = x.partition("@")
        for y in b.emails:
            ly, _, dy = y.partition("@")
            if lx == ly and len(lx) >= 4:
                if OSA.distance(dx, dy, score_cutoff=2) <= 2:
                    found = (6.5, "e-mail addresses differ only by a typo in the domain")
                else:
                    # A short or common user name ("info", "wang") on two providers is weak evidence.
                    found = (4.0 if len(lx) >= 6 else 2.0, "same e-mail user name at another provider")
            elif dx == dy and min(len(lx), len(ly)) >= 5 and OSA.distance(lx, ly, score_cutoff=2) <= 2:
                n = OSA.distance(lx, ly)
                # Namesakes pick near-identical user names (zhangwei88, zhangwei89): a typo is only likely.
                found = ((4.5, "e-mail addresses differ by one character") if n == 1 else
                         (3.0, "e-mail addresses differ by two characters"))
            else:
                continue
            best = max(best, found, key=lambda f: f[0])
    return best


def _birthday(a: MatchRecord, b: MatchRecord) -> tuple[float, str | None]:
    if not a.birthday or not b.birthday:
        return 0.0, None
    if a.birthday[-5:] != b.birthday[-5:]:
        return -6.0, "different birthdays"
    if a.birthday == b.birthday and not a.birthday.startswith("--"):
        return 6.0, "same birthday"
    if a.birthday.startswith("--") or b.birthday.startswith("--"):
        return 3.5, "same birthday (month and day)"
    return -4.0, "different birth years"


def _place(a: MatchRecord, b: MatchRecord) -> list[tuple[float, str | None]]:
    found = []
    if a.address_key and b.address_key and a.address_key == b.address_key:
        found.append((5.0, "same address"))
    if a.city and b.city:
        found.append((1.5, "same city") if a.city == b.city else (-2.0, "different cities"))
    if a.gender and b.gender and a.gender != b.gender:
        found.append((-3.0, "different gender"))
    return found


@dataclass(frozen=True, slots=True)
class Match:
    a_id: int
    b_id: int
    score: float
    reasons: tuple[str, ...]


def score_pair(a: MatchRecord, b: MatchRecord, name_holders: int = 1) -> tuple[float, list[str]]:
    """A probability-like score in [0, 1] that two profiles are one person, and why.

    `name_holders` is how many profiles carry the name when both carry the same one.
    """
    parts = [_name(a, b, name_holders), _phone(a, b), _email(a, b), _birthday(a, b), *_place(a, b)]
    bits = PRIOR_BITS + sum(w for w, _ in parts)
    score = 1.0 / (1.0 + 2.0 ** -bits)
    reasons = [why for w, why in sorted(parts, key=lambda p: -p[0]) if why]
    return round(score, 4), reasons


def find_matches(records: Sequence[MatchRecord], min_score: float = 0.5) -> list[Match]:
    """Every pair of records scoring at least `min_score`, best first."""
    out = []
    holders = Counter(r.name_key for r in records if r.name_key)
    for i, j in candidate_pairs(records).tolist():
        a, b = records[i], records[j]
        score, reasons = score_pair(a, b, holders[a.name_key])
        if score >= min_score:
            lo, hi = (a, b) if a.id < b.id else (b, a)
            out.append(Match(lo.id, hi.id, score, tuple(reasons)))
    out.sort(key=lambda m: (-m.score, m.a_id, m.b_id))
    return out
