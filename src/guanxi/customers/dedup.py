"""Probable duplicates across profiles: find them, merge the sure ones, queue the rest for review.

Personal data is encrypted at rest, so matching decrypts names, birthdays, phones and
e-mails of active profiles in memory (never writing them anywhere) and hands them to
`matching`. Pairs at or above the auto-merge threshold are merged (the older profile
survives); the others wait in `duplicate_candidates` for a person to merge or dismiss.
A pair someone dismissed, or a merge someone undid, is never merged automatically again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from guanxi.customers import merging, normalise
from guanxi.customers.identity import chunks
from guanxi.customers.matching import Match, MatchRecord, find_matches, make_record
from guanxi.customers.models import Customer, DuplicateCandidate, Identity, Merge
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.privacy.crypto import PiiCipher
from guanxi.staff.roles import Actor

AUTO_MERGE_THRESHOLD = 0.9
MIN_SCORE = 0.5
STREAM = 5000


@dataclass
class DedupReport:
    profiles: int
    matches: list[Match]
    merged: list[tuple[int, int, float]] = field(default_factory=list)  # (survivor, merged, score)
    queued: int = 0
    held_back: int = 0  # above the threshold, but once dismissed or unmerged by a person
    seconds: float = 0.0


def load_records(session: Session, cipher: PiiCipher) -> list[MatchRecord]:
    """Every active profile as a match record, decrypted in memory; streamed to keep memory flat."""
    contacts: dict[int, tuple[list[str], list[str]]] = {}
    rows = session.execute(
        select(Identity.customer_id, Identity.kind, Identity.value_enc)
        .join(Customer, Customer.id == Identity.customer_id)
        .where(Customer.status == "active", Identity.kind.in_(("phone", "email")))
        .execution_options(yield_per=STREAM))
    for cid, kind, value in rows:
        phones, emails = contacts.setdefault(cid, ([], []))
        (phones if kind == "phone" else emails).append(cipher.decrypt(value, context=kind))
    records = []
    keys: dict[str, str] = {}  # match keys of names and cities, for this run only
    rows = session.execute(
        select(Customer.id, Customer.name_enc, Customer.birthday_enc, Customer.address_hash, Customer.city,
               Customer.gender)
        .where(Customer.status == "active").order_by(Customer.id).execution_options(yield_per=STREAM))
    for cid, name, birthday, address_hash, city, gender in rows:
        phones, emails = contacts.get(cid, ((), ()))
        records.append(make_record(
            cid, name=cipher.decrypt(name, context="name"), birthday=cipher.decrypt(birthday, context="birthday"),
            city=city, address_key=address_hash, gender=gender, phones=phones, emails=emails, keys=keys))
    return records


def _decided_pairs(session: Session) -> set[tuple[int, int]]:
    """Pairs a person has ruled on: dismissed, or merged and then undone."""
    pairs = {(a, b) for a, b in session.execute(select(DuplicateCandidate.a_id, DuplicateCandidate.b_id)
                                                .where(DuplicateCandidate.status == "dismissed"))}
    for s, m in session.execute(select(Merge.survivor_id, Merge.merged_id).where(Merge.undone_at.is_not(None))):
        pairs.add((min(s, m), max(s, m)))
    return pairs


def run(session: Session, cipher: PiiCipher, actor: Actor, *, threshold: float = AUTO_MERGE_THRESHOLD,
        min_score: float = MIN_SCORE, dry_run: bool = False) -> DedupReport:
    """Find duplicates; unless dry_run, merge pairs scoring >= threshold and queue the rest. The caller commits."""
    if not 0 < min_score <= 1 or not 0 < threshold <= 1:
        raise Invalid("scores are between 0 and 1")
    started = time.perf_counter()
    records = load_records(session, cipher)
    matches = find_matches(records, min_score=min(min_score, threshold))
    report = DedupReport(profiles=len(records), matches=matches)
    if dry_run:
        report.seconds = time.perf_counter() - started
        return report
    decided = _decided_pairs(session)
    sure = [m for m in matches if m.score >= threshold and (m.a_id, m.b_id) not in decided]
    report.held_back = sum(1 for m in matches if m.score >= threshold and (m.a_id, m.b_id) in decided)
    report.queued = _queue(session, [m for m in matches if m.score >= min_score])
    # One person may be three profiles: follow earlier merges to the profile that survived.
    survivor_of: dict[int, int] = {}

    def live(cid: int) -> int:
        while cid in survivor_of:
            cid = survivor_of[cid]
        return cid

    for m in sure:
        a, b = live(m.a_id), live(m.b_id)
        if a == b:
            continue
        survivor, merged = min(a, b), max(a, b)  # the older profile survives
        merging.merge(session, survivor, merged, actor, score=m.score)
        survivor_of[merged] = survivor
        report.merged.append((survivor, merged, m.score))
    report.seconds = time.perf_counter() - started
    return report


def _queue(session: Session, matches: list[Match]) -> int:
    """Store pairs as pending candidates; a pair already known (pending, merged or dismissed) is left as it is."""
    now = utcnow()
    rows = [{"a_id": m.a_id, "b_id": m.b_id, "score": m.score, "reasons": list(m.reasons), "status": "pending",
             "created_at": now} for m in matches]
    table = DuplicateCandidate.__table__
    stmt = insert_ignoring_conflicts(session, table, ["a_id", "b_id"]).returning(table.c.id)
    return sum(len(session.execute(stmt, list(part)).all()) for part in chunks(rows, 500))


# -- the review queue -----------------------------------------------------------------------

def review_queue(session: Session, *, status: str = "pending", after_id: int | None = None,
                 limit: int = 50) -> list[DuplicateCandidate]:
    """Candidates best first (score, then id); pending ones only while both profiles are active."""
    stmt = select(DuplicateCandidate).where(DuplicateCandidate.status == status)
    if status == "pending":
        a, b = aliased(Customer), aliased(Customer)
        stmt = (stmt.join(a, and_(a.id == DuplicateCandidate.a_id, a.status == "active"))
                .join(b, and_(b.id == DuplicateCandidate.b_id, b.status == "active")))
    if after_id is not None:
        last = session.get(DuplicateCandidate, after_id)
        if last is not None:
            stmt = stmt.where((DuplicateCandidate.score < last.score)
                              | ((DuplicateCandidate.score == last.score) & (DuplicateCandidate.id > last.id)))
    stmt = stmt.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id).limit(limit)
    return list(session.scalars(stmt))


def side(session: Session, cipher: PiiCipher, customer_id: int, *, reveal: bool) -> dict:
    """One profile of a candidate pair, as a reviewer compares it (masked without personal-data access)."""
    c = session.get(Customer, customer_id)
    pii = {"name": cipher.decrypt(c.name_enc, context="name"),
           "birthday": cipher.decrypt(c.birthday_enc, context="birthday"),
           "address": cipher.decrypt(c.address_enc, context="address")}
    idents = [{"kind": kind, "value": cipher.decrypt(value, context=kind)} for kind, value in session.execute(
        select(Identity.kind, Identity.value_enc).where(Identity.customer_id == c.id).order_by(Identity.id))]
    if not reveal:
        pii = {k: normalise.mask(k, v) for k, v in pii.items()}
        idents = [{**i, "value": normalise.mask(i["kind"], i["value"])} for i in idents]
    return {"id": c.id, "status": c.status, **pii, "gender": c.gender, "city": c.city,
            "acquisition_channel": c.acquisition_channel, "acquired_at": c.acquired_at, "identities": idents}


def _pending(session: Session, candidate_id: int) -> DuplicateCandidate:
    candidate = session.scalar(select(DuplicateCandidate).where(DuplicateCandidate.id == candidate_id)
                               .with_for_update())
    if candidate is None:
        raise NotFound(f"no duplicate candidate {candidate_id}")
    if candidate.status != "pending":
        raise Conflict(f"duplicate candidate {candidate_id} was already {candidate.status}")
    return candidate


def merge_candidate(session: Session, candidate_id: int, actor: Actor, survivor_id: int | None = None) -> Merge:
    candidate = _pending(session, candidate_id)
    pair = (candidate.a_id, candidate.b_id)
    survivor_id = candidate.a_id if survivor_id is None else survivor_id
    if survivor_id not in pair:
        raise Invalid(f"survivor_id must be {pair[0]} or {pair[1]}",
                      errors=[{"loc": ["body", "survivor_id"], "msg": "not one of the pair"}])
    merged_id = pair[1] if survivor_id == pair[0] else pair[0]
    return merging.merge(session, survivor_id, merged_id, actor, score=candidate.score)


def dismiss_candidate(session: Session, candidate_id: int, actor: Actor) -> DuplicateCandidate:
    candidate = _pending(session, candidate_id)
    candidate.status, candidate.decided_at, candidate.decided_by = "dismissed", utcnow(), actor.ref
    audit.record(session, merging.MergeEvent.duplicate_dismissed, actor, subject_type="duplicate_candidate",
                 subject_id=candidate.id, a_id=candidate.a_id, b_id=candidate.b_id)
    session.flush()
    return candidate
