"""Merging two profiles of one person, and undoing a merge exactly.

A merge moves every identity, order, consent and event of the merged profile to the
survivor, fills the survivor's empty profile fields, and asks every domain registered in
`hooks.movers` to move its rows too. The Merge row records exactly what moved and the
profile fields as they were, so `unmerge` puts everything back as it was.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from guanxi.customers.hooks import movers, timeline
from guanxi.customers.identity import chunks
from guanxi.customers.models import Consent, Customer, CustomerEvent, DuplicateCandidate, Identity, Merge, Order
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.staff.roles import Actor


class MergeEvent(StrEnum):
    customer_merged = "customer_merged"
    customer_unmerged = "customer_unmerged"
    duplicate_dismissed = "duplicate_dismissed"


# The customers domain's own rows that belong to a person.
OWN_ROWS = {"customer_identities": Identity, "orders": Order, "customer_consents": Consent,
            "customer_events": CustomerEvent}
# Profile fields filled from the merged profile when the survivor has none; columns that go together.
FILLABLE = [("name_enc", "name_prefix_hash", "name_initial_hash"), ("gender",),
            ("birthday_enc", "birthday_md_hash"), ("address_enc", "address_hash"), ("region", "city")]
JOINED = ("tags", "attributes", "preferences")
FIRST_SEEN = ("acquired_at", "acquisition_channel")
SNAPSHOT = [c for group in FILLABLE for c in group] + list(JOINED) + list(FIRST_SEEN) + ["updated_at"]
DATETIMES = {"acquired_at", "updated_at"}


def _lock(session: Session, *ids: int) -> dict[int, Customer]:
    # Locked in id order, so two merges of overlapping pairs cannot deadlock (PostgreSQL; SQLite
    # already serialises writers).
    rows = session.scalars(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)
                           .with_for_update().execution_options(populate_existing=True))
    return {c.id: c for c in rows}


def _check_mergeable(c: Customer | None, customer_id: int) -> Customer:
    if c is None:
        raise NotFound(f"no customer {customer_id}")
    if c.status == "merged":
        raise Conflict(f"customer {c.id} was already merged into customer {c.merged_into_id}; "
                       f"merge with {c.merged_into_id} instead")
    if c.status == "erased":
        raise Conflict(f"customer {c.id} is erased and cannot be merged")
    return c


def _dump(column: str, value):
    return value.isoformat() if column in DATETIMES and value is not None else value


def _load(column: str, value):
    return dt.datetime.fromisoformat(value) if column in DATETIMES and value is not None else value


def _empty(value) -> bool:
    return value is None or value == "unknown"


def _fill(survivor: Customer, merged: Customer) -> dict:
    """The column values the survivor takes from the merged profile."""
    changes: dict = {}
    for group in FILLABLE:
        if all(_empty(getattr(survivor, c)) for c in group) and any(not _empty(getattr(merged, c)) for c in group):
            changes.update({c: getattr(merged, c) for c in group})
    tags = sorted(set(survivor.tags or []) | set(merged.tags or []))
    if tags != (survivor.tags or []):
        changes["tags"] = tags
    for column in ("attributes", "preferences"):
        joined = {**(getattr(merged, column) or {}), **(getattr(survivor, column) or {})}
        if joined != (getattr(survivor, column) or {}):
            changes[column] = joined
    # The person was first seen when the earlier of the two profiles was.
    if merged.acquired_at and (survivor.acquired_at is None or merged.acquired_at < survivor.acquired_at):
        changes.update({c: getattr(merged, c) for c in FIRST_SEEN})
    return changes


def merge(session: Session, survivor_id: int, merged_id: int, actor: Actor, score: float | None = None) -> Merge:
    """Merge profile `merged_id` into `survivor_id`; the caller commits."""
    if survivor_id == merged_id:
        raise Invalid("a customer cannot be merged with itself")
    locked = _lock(session, survivor_id, merged_id)
    survivor = _check_mergeable(locked.get(survivor_id), survivor_id)
    merged = _check_mergeable(locked.get(merged_id), merged_id)
    now = utcnow()

    moved: dict = {}
    for table, model in OWN_ROWS.items():
        stmt = (update(model.__table__).where(model.customer_id == merged_id).values(customer_id=survivor_id)
                .returning(model.id))
        moved[table] = sorted(session.scalars(stmt))
    moved["hooks"] = {name: move(session, merged_id, survivor_id) for name, (move, _) in movers.items()}
    moved["duplicate_candidates"] = sorted(session.scalars(
        update(DuplicateCandidate.__table__)
        .where(DuplicateCandidate.a_id == min(survivor_id, merged_id),
               DuplicateCandidate.b_id == max(survivor_id, merged_id), DuplicateCandidate.status == "pending")
        .values(status="merged", decided_at=now, decided_by=actor.ref).returning(DuplicateCandidate.id)))

    before = {"survivor": {c: _dump(c, getattr(survivor, c)) for c in SNAPSHOT},
              "merged": {"status": merged.status, "merged_into_id": merged.merged_into_id,
                         "updated_at": _dump("updated_at", merged.updated_at)}}
    changes = {**_fill(survivor, merged), "updated_at": now}
    before["set"] = {c: _dump(c, v) for c, v in changes.items()}
    for column, value in changes.items():
        setattr(survivor, column, value)
    merged.status, merged.merged_into_id, merged.updated_at = "merged", survivor_id, now

    record = Merge(survivor_id=survivor_id, merged_id=merged_id, at=now, actor=actor.ref, score=score,
                   moved=moved, before=before)
    session.add(record)
    session.flush()
    audit.record(session, MergeEvent.customer_merged, actor, subject_type="customer", subject_id=survivor_id,
                 merged_id=merged_id, merge_id=record.id, score=score,
                 moved={t: len(ids) for t, ids in moved.items() if t != "hooks"})
    return record


def unmerge(session: Session, merge_id: int, actor: Actor) -> Merge:
    """Undo a merge: every moved row goes back and both profiles are as they were; the caller commits."""
    record = session.scalar(select(Merge).where(Merge.id == merge_id).with_for_update())
    if record is None:
        raise NotFound(f"no merge {merge_id}")
    if record.undone_at is not None:
        raise Conflict(f"merge {merge_id} was already undone")
    if not record.before:
        raise Conflict(f"merge {merge_id} cannot be undone: the person's data was erased since")
    pair = (record.survivor_id, record.merged_id)
    later = session.scalar(select(Merge.id).where(
        Merge.id > record.id, Merge.undone_at.is_(None),
        or_(Merge.survivor_id.in_(pair), Merge.merged_id.in_(pair))).order_by(Merge.id.desc()).limit(1))
    if later is not None:
        raise Conflict(f"undo merge {later} first: it changed these profiles after merge {merge_id}")
    locked = _lock(session, *pair)
    survivor, merged = locked[record.survivor_id], locked[record.merged_id]
    if survivor.status != "active" or merged.status != "merged" or merged.merged_into_id != survivor.id:
        raise Conflict(f"merge {merge_id} cannot be undone: the profiles have changed status since")
    now = utcnow()
    moved = record.moved

    for name, rows in reversed(list(moved.get("hooks", {}).items())):
        if name in movers:
            movers[name][1](session, rows, merged.id)
    for table, model in OWN_ROWS.items():
        for part in chunks(moved.get(table, [])):
            # Only rows still with the survivor go back (an erased identity stays gone).
            session.execute(update(model).where(model.id.in_(part), model.customer_id == survivor.id)
                            .values(customer_id=merged.id), execution_options={"synchronize_session": False})
    if moved.get("duplicate_candidates"):
        session.execute(update(DuplicateCandidate).where(DuplicateCandidate.id.in_(moved["duplicate_candidates"]),
                                                         DuplicateCandidate.status == "merged")
                        .values(status="pending", decided_at=None, decided_by=None),
                        execution_options={"synchronize_session": False})

    _restore_survivor(survivor, record.before["survivor"], record.before["set"], now)
    old = record.before["merged"]
    merged.status, merged.merged_into_id = old["status"], old["merged_into_id"]
    merged.updated_at = _load("updated_at", old["updated_at"])
    record.undone_at = now
    session.flush()
    audit.record(session, MergeEvent.customer_unmerged, actor, subject_type="customer", subject_id=survivor.id,
                 merged_id=merged.id, merge_id=record.id)
    return record


def _restore_survivor(survivor: Customer, before: dict, applied: dict, now: dt.datetime) -> None:
    """Put back what the merge set, unless someone changed that field since (their edit wins)."""
    untouched = True
    for column, value in applied.items():
        if column == "updated_at":
            continue
        current = _dump(column, getattr(survivor, column))
        if current == value:
            setattr(survivor, column, _load(column, before[column]))
        elif column == "tags":
            added = set(value) - set(before["tags"] or [])
            survivor.tags = [t for t in (survivor.tags or []) if t not in added]
            untouched = False
        else:
            untouched = False
    changed_since = _dump("updated_at", survivor.updated_at) != applied["updated_at"]
    survivor.updated_at = _load("updated_at", before["updated_at"]) if untouched and not changed_since else now


def merges_of(session: Session, customer_id: int, limit: int = 50) -> list[Merge]:
    return list(session.scalars(select(Merge).where(
        or_(Merge.survivor_id == customer_id, Merge.merged_id == customer_id)).order_by(Merge.id.desc()).limit(limit)))


@timeline("merges")
def merges_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    out = []
    for m in merges_of(session, customer_id, limit):
        out.append({"at": m.at, "kind": MergeEvent.customer_merged.value, "merge_id": m.id,
                    "summary": f"profile {m.merged_id} merged into {m.survivor_id} by {m.actor}"})
        if m.undone_at:
            out.append({"at": m.undone_at, "kind": MergeEvent.customer_unmerged.value, "merge_id": m.id,
                        "summary": f"merge of profile {m.merged_id} into {m.survivor_id} undone"})
    return out
