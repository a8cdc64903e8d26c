"""Analytics in a person's life: their scores are profiling, so they are exported and erased with them.

Merges drop the merged profile's scores: they are derived, and the next recompute scores the
survivor on the joined history. Unmerge has nothing to restore for the same reason.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from guanxi.analytics import membership
from guanxi.analytics.models import CustomerScore, CustomerTraits, SegmentSnapshot
from guanxi.customers import hooks


def _forget(session: Session, customer_id: int) -> None:
    session.execute(delete(CustomerScore).where(CustomerScore.customer_id == customer_id))
    session.execute(delete(SegmentSnapshot).where(SegmentSnapshot.customer_id == customer_id))
    session.execute(delete(CustomerTraits).where(CustomerTraits.customer_id == customer_id))
    membership.forget(session, [customer_id])


@hooks.exporter("analytics")
def export_scores(session: Session, customer_id: int) -> dict:
    row = session.get(CustomerScore, customer_id)
    history = session.execute(select(SegmentSnapshot.month, SegmentSnapshot.segment)
                              .where(SegmentSnapshot.customer_id == customer_id).order_by(SegmentSnapshot.month))
    scores = None if row is None else {c.name: getattr(row, c.name) for c in CustomerScore.__table__.columns
                                       if c.name != "customer_id"}
    traits = session.get(CustomerTraits, customer_id)
    derived = None if traits is None else {c.name: getattr(traits, c.name) for c in CustomerTraits.__table__.columns
                                           if c.name != "customer_id"}
    return {"scores": scores, "traits": derived, "segments_by_month": [{"month": m, "segment": s} for m, s in history],
            "segment_changes": membership.changes_of(session, customer_id)}


@hooks.eraser("analytics")
def erase_scores(session: Session, customer_id: int) -> None:
    _forget(session, customer_id)


def _nothing_to_restore(session: Session, moved: dict, customer_id: int) -> None:
    return None


@hooks.mover("analytics", _nothing_to_restore)
def drop_merged_scores(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    _forget(session, from_id)
    return {}
