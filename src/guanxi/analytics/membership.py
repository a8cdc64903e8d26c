"""Segment membership kept current: who is in each dynamic segment, since when, and who entered or left.

The customers domain calls ``refresh`` (through ``customers.hooks.on_change``) in the same
transaction as a new order, event or profile change, so only the affected customers are looked at
again, with the segment's rule in SQL restricted to their ids. Conditions on profile columns (city,
channel, gender) therefore move members at once; conditions on scores move them when the daily
recompute rewrites the scores, after which ``rebuild`` (job ``analytics.rebuild_segments``) compares
every dynamic segment with its rule and records the same entries and exits for any difference.

Both are idempotent: they write only the difference between the rule and the stored members, so a
second run (or a delivery that arrives twice) finds nothing to change. Entries and exits are rows of
``analytics_segment_changes``; ``entered_since``/``left_since`` read them for triggers (care
journeys, campaigns) and the customer timeline shows them as ``segment_entered``/``segment_left``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from guanxi.analytics import reports, segment_rules
from guanxi.analytics.models import SavedSegment, SegmentChange, SegmentMember
from guanxi.customers import hooks
from guanxi.db import bulk_insert, utcnow
from guanxi.errors import Invalid

DYNAMIC, STATIC = "dynamic", "static"
ENTERED, LEFT = "entered", "left"
CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit


def chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def dynamic_segments(session: Session) -> list[tuple[int, segment_rules.Rule]]:
    rows = session.execute(select(SavedSegment.id, SavedSegment.rule).where(SavedSegment.kind == DYNAMIC)
                           .order_by(SavedSegment.id))
    return [(sid, segment_rules.parse(rule)) for sid, rule in rows]


def matching(session: Session, rule: segment_rules.Rule, customer_ids: list[int] | None = None) -> set[int]:
    """Ids of the customers (all, or those of ``customer_ids``) the rule matches now."""
    stmt = reports.filtered(rule)
    if customer_ids is None:
        return set(session.scalars(stmt))
    found: set[int] = set()
    for part in chunks(customer_ids):
        found.update(session.scalars(stmt.where(reports.S.customer_id.in_(part))))
    return found


def members(session: Session, segment_id: int, customer_ids: list[int] | None = None) -> set[int]:
    stmt = select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)
    if customer_ids is None:
        return set(session.scalars(stmt))
    found: set[int] = set()
    for part in chunks(customer_ids):
        found.update(session.scalars(stmt.where(SegmentMember.customer_id.in_(part))))
    return found


def _apply(session: Session, segment_id: int, want: set[int], have: set[int], cause: str,
           now: dt.datetime) -> tuple[int, int]:
    enter, leave = sorted(want - have), sorted(have - want)
    for part in chunks(leave):
        session.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment_id,
                                                    SegmentMember.customer_id.in_(part)))
    bulk_insert(session, SegmentMember.__table__, {"customer_id": enter}, {"segment_id": segment_id, "since": now})
    bulk_insert(session, SegmentChange.__table__,
                {"customer_id": enter + leave, "kind": [ENTERED] * len(enter) + [LEFT] * len(leave)},
                {"segment_id": segment_id, "cause": cause, "at": now})
    return len(enter), len(leave)


@hooks.on_change("analytics.segments")
def refresh(session: Session, customer_ids: list[int], *, now: dt.datetime | None = None) -> dict:
    """Re-evaluate only these customers against every dynamic segment; returns entries and exits."""
    now = now or utcnow()
    entered = left = 0
    for sid, rule in dynamic_segments(session):
        e, lft = _apply(session, sid, matching(session, rule, customer_ids), members(session, sid, customer_ids),
                        "live", now)
        entered, left = entered + e, left + lft
    return {"entered": entered, "left": left}


def sync_segment(session: Session, segment_id: int, rule: segment_rules.Rule, *, cause: str = "rebuild",
                 now: dt.datetime | None = None) -> tuple[int, int]:
    return _apply(session, segment_id, matching(session, rule), members(session, segment_id), cause,
                  now or utcnow())


def rebuild(session: Session, *, now: dt.datetime | None = None) -> dict:
    """Recompute every dynamic segment from its rule; the differences become entries and exits."""
    now = now or utcnow()
    out = {"segments": 0, "entered": 0, "left": 0}
    for sid, rule in dynamic_segments(session):
        e, lft = sync_segment(session, sid, rule, now=now)
        out = {"segments": out["segments"] + 1, "entered": out["entered"] + e, "left": out["left"] + lft}
    return out


def snapshot(session: Session, segment_id: int, name: str, created_by: str, *,
             now: dt.datetime | None = None) -> SavedSegment:
    """A static segment holding the dynamic segment's members as of now (its rule is kept for reference)."""
    now = now or utcnow()
    source = reports.get_segment(session, segment_id)
    if source.kind != DYNAMIC:
        raise Invalid(f"segment {segment_id} is a snapshot already; snapshot a dynamic segment",
                      errors=[{"loc": ["path", "segment_id"], "msg": "not a dynamic segment"}])
    row = reports.create_segment(session, name, source.rule, created_by)
    row.kind, row.snapshot_of = STATIC, source.id
    ids = sorted(matching(session, segment_rules.parse(source.rule)))
    for part in chunks(ids, 1000):
        session.execute(insert(SegmentMember), [{"segment_id": row.id, "customer_id": c, "since": now}
                                                for c in part])
    session.flush()
    return row


def _changes(session: Session, segment_id: int, kind: str, since: dt.datetime) -> list[tuple[int, dt.datetime]]:
    rows = session.execute(select(SegmentChange.customer_id, SegmentChange.at)
                           .where(SegmentChange.segment_id == segment_id, SegmentChange.kind == kind,
                                  SegmentChange.at >= since).order_by(SegmentChange.at, SegmentChange.id))
    return [(cid, at) for cid, at in rows]


def entered_since(session: Session, segment_id: int, since: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """(customer id, when) of every entry into the segment at or after ``since``, oldest first."""
    return _changes(session, segment_id, ENTERED, since)


def left_since(session: Session, segment_id: int, since: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """(customer id, when) of every exit from the segment at or after ``since``, oldest first."""
    return _changes(session, segment_id, LEFT, since)


@hooks.timeline("segments")
def segments_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    rows = session.execute(select(SegmentChange, SavedSegment.name)
                           .join(SavedSegment, SavedSegment.id == SegmentChange.segment_id)
                           .where(SegmentChange.customer_id == customer_id)
                           .order_by(SegmentChange.at.desc(), SegmentChange.id.desc()).limit(limit))
    return [{"at": c.at, "kind": "segment_entered" if c.kind == ENTERED else "segment_left",
             "summary": f"{'entered' if c.kind == ENTERED else 'left'} segment {name}", "segment_id": c.segment_id}
            for c, name in rows]


def changes_of(session: Session, customer_id: int) -> list[dict]:
    """A person's entries and exits, for their data export."""
    rows = session.execute(select(SegmentChange, SavedSegment.name)
                           .join(SavedSegment, SavedSegment.id == SegmentChange.segment_id)
                           .where(SegmentChange.customer_id == customer_id).order_by(SegmentChange.id))
    return [{"segment": name, "kind": c.kind, "at": c.at.isoformat()} for c, name in rows]


def forget(session: Session, customer_ids: Iterable[int]) -> None:
    """Drop a person's memberships and their history (erasure, merge: the survivor is re-evaluated)."""
    for part in chunks(list(customer_ids)):
        session.execute(delete(SegmentMember).where(SegmentMember.customer_id.in_(part)))
        session.execute(delete(SegmentChange).where(SegmentChange.customer_id.in_(part)))
