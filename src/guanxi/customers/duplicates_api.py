"""The duplicate review queue and merges over HTTP: parse, authorise, call the service, reply."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, StrictInt

from guanxi.customers import dedup, merging
from guanxi.deps import Merger, RuntimeDep, SessionDep
from guanxi.pagination import MAX_LIMIT, decode_cursor, next_cursor
from guanxi.privacy import audit
from guanxi.schemas import IdPath, PublicModel, StrictModel
from guanxi.staff.roles import Perm

router = APIRouter(prefix="/api/v1", tags=["duplicates"])

CustomerId = Annotated[StrictInt, Field(ge=1, le=2**62)]


class DuplicateSide(PublicModel):
    id: int
    status: str
    name: str | None
    birthday: str | None
    address: str | None
    gender: str | None
    city: str | None
    acquisition_channel: str | None
    acquired_at: dt.datetime | None
    identities: list[dict[str, Any]]


class DuplicatePublic(PublicModel):
    id: int
    score: float
    reasons: list[str]
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    a: DuplicateSide
    b: DuplicateSide


class DuplicatesPage(PublicModel):
    items: list[DuplicatePublic]
    masked: bool
    next_cursor: str | None


class CandidateMerge(StrictModel):
    survivor_id: CustomerId | None = Field(default=None, description="which of the two profiles stays (default: a)")


class CustomerMerge(StrictModel):
    other_id: CustomerId = Field(description="the profile merged into this one (it becomes status=merged)")


class MergePublic(PublicModel):
    id: int
    survivor_id: int
    merged_id: int
    score: float | None
    at: dt.datetime
    actor: str
    undone_at: dt.datetime | None
    moved: dict[str, int]


class CandidatePublic(PublicModel):
    id: int
    a_id: int
    b_id: int
    status: str
    decided_at: dt.datetime | None
    decided_by: str | None


def _merge_reply(m) -> MergePublic:
    moved = {table: len(ids) for table, ids in m.moved.items() if table != "hooks"}
    for name, tables in m.moved.get("hooks", {}).items():
        moved.update({f"{name}.{table}": len(ids) for table, ids in tables.items()})
    return MergePublic(id=m.id, survivor_id=m.survivor_id, merged_id=m.merged_id, score=m.score, at=m.at,
                       actor=m.actor, undone_at=m.undone_at, moved=moved)


@router.get("/duplicates", response_model=DuplicatesPage)
def list_duplicates(
    actor: Merger, session: SessionDep, runtime: RuntimeDep,
    status: Annotated[Literal["pending", "merged", "dismissed"], Query()] = "pending",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> DuplicatesPage:
    """Probable duplicates, most likely first; personal data masked unless the role may read it."""
    rows = dedup.review_queue(session, status=status, after_id=decode_cursor(cursor), limit=limit)
    reveal = actor.can(Perm.customers_read_pii)
    items = [DuplicatePublic(id=r.id, score=r.score, reasons=r.reasons, status=r.status, created_at=r.created_at,
                             decided_at=r.decided_at, decided_by=r.decided_by,
                             a=DuplicateSide(**dedup.side(session, runtime.cipher, r.a_id, reveal=reveal)),
                             b=DuplicateSide(**dedup.side(session, runtime.cipher, r.b_id, reveal=reveal)))
             for r in rows]
    if reveal and items:
        # One audit row per page, naming every profile shown (for an access report after a breach).
        audit.record_pii_read(session, actor, "duplicate_candidates", rows[0].id,
                              threshold_per_hour=runtime.settings.pii_alert_per_hour,
                              candidate_ids=[r.id for r in rows],
                              customer_ids=sorted({i.a.id for i in items} | {i.b.id for i in items}))
        session.commit()
    return DuplicatesPage(items=items, masked=not reveal, next_cursor=next_cursor(rows, limit))


@router.post("/duplicates/{candidate_id}/merge", response_model=MergePublic, status_code=201)
def merge_duplicate(candidate_id: IdPath, actor: Merger, session: SessionDep,
                    body: CandidateMerge | None = None) -> MergePublic:
    """Merge the pair (b into a, unless survivor_id says otherwise)."""
    record = dedup.merge_candidate(session, candidate_id, actor, survivor_id=body.survivor_id if body else None)
    session.commit()
    return _merge_reply(record)


@router.post("/duplicates/{candidate_id}/dismiss", response_model=CandidatePublic)
def dismiss_duplicate(candidate_id: IdPath, actor: Merger, session: SessionDep) -> CandidatePublic:
    """Not the same person: the pair leaves the queue and is never merged automatically."""
    candidate = dedup.dismiss_candidate(session, candidate_id, actor)
    session.commit()
    return CandidatePublic.model_validate(candidate)


@router.post("/customers/{customer_id}/merge", response_model=MergePublic, status_code=201)
def merge_customers(customer_id: IdPath, body: CustomerMerge, actor: Merger, session: SessionDep) -> MergePublic:
    """Merge another profile into this one: its identities, orders, consents and events move here."""
    record = merging.merge(session, customer_id, body.other_id, actor)
    session.commit()
    return _merge_reply(record)


@router.post("/merges/{merge_id}/undo", response_model=MergePublic)
def undo_merge(merge_id: IdPath, actor: Merger, session: SessionDep) -> MergePublic:
    """Undo a merge: both profiles and all their rows are as they were before it."""
    record = merging.unmerge(session, merge_id, actor)
    session.commit()
    return _merge_reply(record)
