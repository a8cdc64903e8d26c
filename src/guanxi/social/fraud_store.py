"""Fake-review signals for a batch of new mentions, checked incrementally against what is stored.

Intake calls `check` on the rows it is about to insert: their flags are set before the insert (no second
write), and earlier mentions that now form a signal with them are updated. Near-duplicates are found through
the stored LSH bands of each review's MinHash signature (`social_mention_bands`, one row per band, keyed with
the product), so a batch reads only the stored texts that share a band with it — not the last N reviews of
its products — and the exact Jaccard check runs on those candidates alone. Bursts read the stored young-account
mentions of the batch's products within an hour of it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from guanxi.customers.identity import chunks
from guanxi.social import fraud
from guanxi.social.models import Mention, MentionBand

CHECKED_KINDS = ("review", "comment")
LOOKBACK = dt.timedelta(days=30)
BURST_WINDOW = dt.timedelta(hours=1)
BANDS = MentionBand.__table__


@dataclass
class Checked:
    bands: dict[int, list[int]] = field(default_factory=dict)     # row index → band keys, stored after the insert
    earlier: dict[int, list[str]] = field(default_factory=dict)   # stored mention id → signals it now has


def _author(platform: str, author_ref: str | None, stand_in: str) -> str:
    return f"{platform}:{author_ref}" if author_ref else f"anon:{stand_in}"


def _stored(session: Session, ids: set[int]) -> dict[int, tuple[str, frozenset]]:
    """Author and shingles of the stored candidates, each text read once (a candidate shares up to 8 bands)."""
    read = {}
    for part in chunks(sorted(ids), 500):
        for mid, platform, ref, text in session.execute(select(Mention.id, Mention.platform, Mention.author_ref,
                                                               Mention.text).where(Mention.id.in_(part))):
            read[mid] = (_author(platform, ref, str(mid)), fraud.shingles(text))
    return read


def check(session: Session, rows: list[dict]) -> Checked:
    """Set `flags` and `flag_state` on the new rows (dicts about to be inserted); return what to store after."""
    out = Checked()
    picked = [i for i, r in enumerate(rows) if r["kind"] in CHECKED_KINDS]
    if not picked:
        return out
    found: dict[int, set[str]] = defaultdict(set)        # new row index → signals
    earlier: dict[int, set[str]] = defaultdict(set)      # stored id → signals
    _duplicates(session, rows, picked, out, found, earlier)
    _bursts(session, rows, picked, found, earlier)
    for i in picked:
        if fraud.mismatch(rows[i]["rating"], rows[i]["label"]):
            found[i].add(fraud.MISMATCH)
    for i, signals in found.items():
        rows[i]["flags"] = sorted(signals)
        rows[i]["flag_state"] = "flagged"
    out.earlier = {k: sorted(v) for k, v in earlier.items()}
    return out


def _duplicates(session, rows, picked, out: Checked, found, earlier) -> None:
    shingles: dict[int, frozenset] = {}
    by_key: dict[int, list[int]] = defaultdict(list)          # band key → new row indexes
    for i in picked:
        r = rows[i]
        cleaned = fraud.clean(r["text"])
        if len(cleaned) < fraud.MIN_CHARS:
            continue
        shingles[i] = fraud.shingles(r["text"])
        keys = fraud.band_keys(fraud.minhash(cleaned), r["product_sku"] or "")
        out.bands[i] = keys
        for key in keys:
            by_key[key].append(i)
    if not by_key:
        return
    since = min(rows[i]["posted_at"] for i in out.bands) - LOOKBACK
    candidates: dict[int, set[int]] = defaultdict(set)          # new row index → stored ids sharing a band
    for part in chunks(list(by_key), 500):
        for key, mid in session.execute(
                select(BANDS.c.band_key, BANDS.c.mention_id).join(Mention, Mention.id == BANDS.c.mention_id)
                .where(BANDS.c.band_key.in_(part), Mention.posted_at >= since)):
            for i in by_key[key]:
                candidates[i].add(mid)
    stored = _stored(session, {mid for mids in candidates.values() for mid in mids})
    for i, mids in candidates.items():
        mine = _author(rows[i]["platform"], rows[i]["author_ref"], f"new{i}")
        for mid in mids:
            author, theirs = stored[mid]
            if author != mine and fraud.jaccard(shingles[i], theirs) >= 0.8:
                found[i].add(fraud.DUPLICATE)
                earlier[mid].add(fraud.DUPLICATE)
    seen: set[tuple[int, int]] = set()
    for members in by_key.values():  # within the batch
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                a, b = rows[i], rows[j]
                if (_author(a["platform"], a["author_ref"], f"new{i}") != _author(b["platform"], b["author_ref"], f"new{j}")
                        and fraud.jaccard(shingles[i], shingles[j]) >= 0.8):
                    found[i].add(fraud.DUPLICATE)
                    found[j].add(fraud.DUPLICATE)


def _bursts(session, rows, picked, found, earlier) -> None:
    young = [i for i in picked if rows[i]["author_since"] is not None
             and rows[i]["posted_at"] - rows[i]["author_since"] < dt.timedelta(days=30)]
    if not young:
        return
    facts = [fraud.ReviewFacts(f"new{i}", "", _author(rows[i]["platform"], rows[i]["author_ref"], f"new{i}"),
                               rows[i]["posted_at"], rows[i]["author_since"], rows[i]["product_sku"]) for i in young]
    products = {rows[i]["product_sku"] for i in young}
    start = min(rows[i]["posted_at"] for i in young) - BURST_WINDOW
    end = max(rows[i]["posted_at"] for i in young) + BURST_WINDOW
    named = [p for p in products if p]
    product_filter = Mention.product_sku.in_(named) if named else Mention.product_sku.is_(None)
    if named and None in products:
        product_filter = product_filter | Mention.product_sku.is_(None)
    for mid, platform, ref, posted, since, sku in session.execute(
            select(Mention.id, Mention.platform, Mention.author_ref, Mention.posted_at, Mention.author_since,
                   Mention.product_sku).where(Mention.kind.in_(CHECKED_KINDS), Mention.posted_at.between(start, end),
                                              Mention.author_since.is_not(None), product_filter)):
        facts.append(fraud.ReviewFacts(mid, "", _author(platform, ref, str(mid)), posted, since, sku))
    for key in fraud.bursts(facts):
        if isinstance(key, str):
            found[int(key[3:])].add(fraud.BURST)
        else:
            earlier[key].add(fraud.BURST)


def store(session: Session, checked: Checked, ids_of_rows: dict[int, int]) -> list[int]:
    """After the insert: the new rows' bands, and the earlier mentions' new signals. Returns those earlier ids."""
    bands = [{"band_key": key, "mention_id": ids_of_rows[i]} for i, keys in checked.bands.items() if i in ids_of_rows
             for key in dict.fromkeys(keys)]
    for part in chunks(bands, 2000):
        session.execute(insert(BANDS), list(part))
    changed = []
    if not checked.earlier:
        return changed
    current = []
    for part in chunks(list(checked.earlier), 500):
        current.extend(session.execute(select(Mention.id, Mention.flags, Mention.flag_state).where(Mention.id.in_(part))))
    for mid, flags, state in current:
        signals = checked.earlier[mid]
        if set(signals) <= set(flags or []):
            continue
        session.execute(update(Mention).where(Mention.id == mid).values(
            flags=sorted({*(flags or []), *signals}), flag_state="flagged" if state == "none" else state))
        changed.append(mid)
    return changed
