"""Mentions in: a batch, idempotent on (platform, external id); scored, linked to customers and products,
checked for fake-review signals, and — for a buyer's review of an order — points through loyalty."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from guanxi.customers import identity, normalise
from guanxi.customers.models import Order
from guanxi.customers.records import IdentityKey
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Invalid
from guanxi.privacy.crypto import PiiCipher
from guanxi.social import aspects, fraud_store, scoring
from guanxi.social.models import Mention
from guanxi.social.settings import get_social_settings

log = logging.getLogger(__name__)
KINDS = ("post", "comment", "review", "live_comment")
# The customers domain's identity kind for an author's id on each platform.
IDENTITY_OF_PLATFORM = {"weibo": ("weibo_id", ""), "douyin": ("douyin_id", ""), "wechat": ("wechat_openid", ""),
                        "xiaohongshu": ("external", "xiaohongshu"), "shop": ("external", "shop")}
MENTIONS = Mention.__table__


@dataclass
class MentionIn:
    platform: str
    external_id: str
    kind: str
    text: str
    posted_at: dt.datetime
    author_ref: str | None = None
    author_name: str | None = None
    author_followers: int = 0
    author_since: dt.datetime | None = None
    product_sku: str | None = None
    order_id: int | None = None
    rating: int | None = None
    url: str | None = None
    parent_id: str | None = None
    likes: int = 0
    showcase: bool = False


@dataclass
class Ingested:
    created: list[int] = field(default_factory=list)
    duplicates: int = 0
    flagged: list[int] = field(default_factory=list)
    linked: int = 0


def _check(item: MentionIn) -> None:
    if item.kind not in KINDS:
        raise Invalid(f"unknown mention kind {item.kind!r}; use one of: {', '.join(KINDS)}")
    if item.rating is not None and not 1 <= item.rating <= 5:
        raise Invalid("a rating is 1 to 5")
    if item.posted_at.tzinfo is None:
        raise Invalid("posted_at needs a time zone")


def _customers_by_author(session: Session, cipher: PiiCipher, items: list[MentionIn]) -> dict[tuple[str, str], int]:
    """Known authors only: an unknown platform id does not create a customer profile."""
    keys = {}
    for it in items:
        if it.author_ref and it.platform in IDENTITY_OF_PLATFORM:
            kind, source = IDENTITY_OF_PLATFORM[it.platform]
            try:
                value = normalise.identity(kind, it.author_ref)
            except Invalid:
                continue
            keys[(it.platform, it.author_ref)] = identity.identity_hash(cipher, IdentityKey(kind, source, value))
    owners = identity.owners_of(session, keys.values())
    return {pair: owners[h] for pair, h in keys.items() if h in owners}


def _order_customers(session: Session, items: list[MentionIn]) -> dict[int, int]:
    ids = {it.order_id for it in items if it.order_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Order.id, Order.customer_id).where(Order.id.in_(ids))).all())


def row_of(cipher: PiiCipher, item: MentionIn, customer_id: int | None, now: dt.datetime,
           seen: aspects.Analysis) -> dict:
    felt = seen.sentiment
    return {
        "platform": item.platform, "external_id": item.external_id, "kind": item.kind, "parent_id": item.parent_id,
        "url": item.url, "text": item.text, "lang": felt.lang, "sentiment": felt.score, "label": felt.label,
        "override": (felt.override or "")[:100] or None, "aspects": seen.aspects,
        "keywords": seen.keywords, "author_ref": item.author_ref,
        "author_name_enc": cipher.encrypt(item.author_name, context="social_author") if item.author_name else None,
        "author_followers": max(0, item.author_followers), "author_since": item.author_since,
        "customer_id": customer_id, "product_sku": item.product_sku, "order_id": item.order_id, "rating": item.rating,
        "likes": item.likes, "posted_at": item.posted_at, "ingested_at": now, "status": "visible", "flags": [],
        "flag_state": "none", "showcase": item.showcase,
    }


def ingest(session: Session, cipher: PiiCipher, items: list[MentionIn], *, now: dt.datetime | None = None,
           on_review=None) -> Ingested:
    """Store the batch; a mention already stored (same platform and id) is counted as a duplicate.

    `on_review(session, mention)` is called for each new review linked to an order and a customer (points).
    """
    now = now or utcnow()
    for it in items:
        _check(it)
    unique = list({(it.platform, it.external_id): it for it in items}.values())
    out = Ingested(duplicates=len(items) - len(unique))
    existing = set()
    for part in identity.chunks(unique, 400):
        existing.update(session.execute(select(Mention.platform, Mention.external_id).where(
            Mention.platform.in_({it.platform for it in part}),
            Mention.external_id.in_([it.external_id for it in part]))).all())
    fresh = [it for it in unique if (it.platform, it.external_id) not in existing]
    out.duplicates += len(unique) - len(fresh)
    if not fresh:
        return out
    by_author = _customers_by_author(session, cipher, fresh)
    by_order = _order_customers(session, fresh)
    rows = []
    analysed = scoring.analyse_many([it.text for it in fresh], get_social_settings().scoring_workers)
    for it, seen in zip(fresh, analysed, strict=True):
        cid = by_order.get(it.order_id) if it.order_id is not None else None
        if it.order_id is not None and it.order_id not in by_order:
            it.order_id = None  # an unknown order is not linked
        cid = cid or by_author.get((it.platform, it.author_ref or ""))
        rows.append(row_of(cipher, it, cid, now, seen))
    checked = fraud_store.check(session, rows)  # sets the new rows' flags before they are written
    index_of = {(r["platform"], r["external_id"]): i for i, r in enumerate(rows)}
    ids_of_rows: dict[int, int] = {}
    for part in identity.chunks(rows, 500):
        stmt = insert_ignoring_conflicts(session, MENTIONS, ["platform", "external_id"]).returning(
            MENTIONS.c.id, MENTIONS.c.platform, MENTIONS.c.external_id)
        for mid, platform, ext in session.execute(stmt, list(part)):
            ids_of_rows[index_of[(platform, ext)]] = mid
    out.created = [ids_of_rows[i] for i in sorted(ids_of_rows)]
    out.duplicates += len(rows) - len(out.created)
    out.linked = sum(rows[i]["customer_id"] is not None for i in ids_of_rows)
    earlier = fraud_store.store(session, checked, ids_of_rows)
    out.flagged = [ids_of_rows[i] for i in sorted(ids_of_rows) if rows[i]["flags"]] + earlier
    if on_review is not None:
        for m in session.scalars(select(Mention).where(Mention.id.in_(out.created), Mention.kind == "review",
                                                       Mention.order_id.is_not(None),
                                                       Mention.customer_id.is_not(None))):
            on_review(session, m)
    return out


def resolve_authors(session: Session, cipher: PiiCipher, *, limit: int = 5000) -> int:
    """Link earlier mentions whose author has since become a known customer (run by a job)."""
    rows = session.execute(select(Mention.id, Mention.platform, Mention.author_ref).where(
        Mention.customer_id.is_(None), Mention.author_ref.is_not(None)).limit(limit)).all()
    items = [MentionIn(p, str(i), "post", "", utcnow(), author_ref=a) for i, p, a in rows]
    found = _customers_by_author(session, cipher, items)
    n = 0
    for i, p, a in rows:
        cid = found.get((p, a))
        if cid:
            session.execute(update(Mention).where(Mention.id == i).values(customer_id=cid))
            n += 1
    return n
