"""The social domain's part in a customer's life: timeline, export, erasure and merges."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from guanxi.customers import hooks
from guanxi.customers.privacy_hooks import ERASED, person_ids
from guanxi.social.models import Mention, MentionBand


@hooks.timeline("social")
def mentions_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    rows = session.scalars(select(Mention).where(Mention.customer_id == customer_id)
                           .order_by(Mention.posted_at.desc()).limit(limit))
    return [{"at": m.posted_at, "kind": f"social_{m.kind}",
             "summary": f"{m.platform} {m.kind} ({m.label}{f', {m.rating}★' if m.rating else ''}): {m.text[:60]}",
             "mention_id": m.id} for m in rows]


@hooks.exporter("social")
def export_mentions(session: Session, customer_id: int) -> list[dict]:
    ids = person_ids(session, customer_id)
    return [{"platform": m.platform, "id": m.external_id, "kind": m.kind, "text": m.text, "posted_at": m.posted_at.isoformat(),
             "rating": m.rating, "product_sku": m.product_sku, "sentiment": m.sentiment, "label": m.label,
             "status": m.status, "showcase_allowed": m.showcase, "reply": m.reply,
             "fake_review_signals": m.flags}
            for m in session.scalars(select(Mention).where(Mention.customer_id.in_(ids)).order_by(Mention.id))]


@hooks.eraser("social")
def erase_mentions(session: Session, customer_id: int) -> None:
    """Keep counts and sentiment for the figures; remove the words, the name, the handle and the showcase."""
    ids = person_ids(session, customer_id)
    # The LSH bands are derived from the words: they go with them.
    session.execute(delete(MentionBand).where(MentionBand.mention_id.in_(
        select(Mention.id).where(Mention.customer_id.in_(ids)))))
    session.execute(update(Mention).where(Mention.customer_id.in_(ids)).values(
        text=ERASED, author_name_enc=None, author_ref=None, url=None, keywords=[], showcase=False, customer_id=None))


def _unmove(session: Session, moved: dict[str, list[int]], from_id: int) -> None:
    if moved.get("social_mentions"):
        session.execute(update(Mention).where(Mention.id.in_(moved["social_mentions"])).values(customer_id=from_id))


@hooks.mover("social", _unmove)
def move_mentions(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    return {"social_mentions": list(session.scalars(
        update(Mention).where(Mention.customer_id == from_id).values(customer_id=to_id).returning(Mention.id)))}
