"""Named events written to the append-only audit log; unusual PII access raises an alert."""

from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.logs import request_id
from guanxi.privacy.models import AdminAlert, AuditEntry
from guanxi.staff.roles import Actor

log = logging.getLogger(__name__)


class AuditKind(StrEnum):
    api_write = "api_write"
    pii_viewed = "pii_viewed"
    pii_exported = "pii_exported"
    customer_erased = "customer_erased"
    signed_in = "signed_in"
    sign_in_failed = "sign_in_failed"
    token_created = "token_created"
    token_revoked = "token_revoked"
    user_created = "user_created"
    user_disabled = "user_disabled"
    keys_rotated = "keys_rotated"


# Kinds that reveal a person's data: counted for the unusual-access alert and the breach report.
PII_READ_KINDS = {"pii_viewed", "pii_exported"}


def record(session: Session, kind: str, actor: Actor, *, subject_type: str | None = None,
           subject_id: object = None, **details) -> AuditEntry:
    entry = AuditEntry(
        kind=str(kind), actor=actor.ref, actor_role=actor.role.value,
        subject_type=subject_type, subject_id=None if subject_id is None else str(subject_id),
        request_id=request_id.get(), details=details,
    )
    session.add(entry)
    return entry


def record_pii_read(session: Session, actor: Actor, subject_type: str, subject_id: object, *,
                    threshold_per_hour: int, kind: str = AuditKind.pii_viewed, **details) -> None:
    """Audit a read of someone's personal data, and alert admins when an actor reads far more than usual."""
    record(session, kind, actor, subject_type=subject_type, subject_id=subject_id, **details)
    session.flush()
    since = utcnow() - dt.timedelta(hours=1)
    count = session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.actor == actor.ref, AuditEntry.kind.in_(PII_READ_KINDS), AuditEntry.at >= since
        )
    )
    if count > threshold_per_hour:
        recent = session.scalar(
            select(func.count()).select_from(AdminAlert).where(
                AdminAlert.kind == "unusual_pii_access", AdminAlert.actor == actor.ref, AdminAlert.at >= since
            )
        )
        if not recent:
            session.add(AdminAlert(
                kind="unusual_pii_access", actor=actor.ref,
                message=f"{actor.ref} revealed personal data of {count} records in the last hour "
                        f"(limit {threshold_per_hour})",
                details={"count": count, "threshold": threshold_per_hour},
            ))
            log.warning("unusual personal-data access by %s: %s reads in an hour", actor.ref, count)


def query(session: Session, *, actor: str | None = None, kind: str | None = None,
          subject_type: str | None = None, subject_id: str | None = None,
          since: dt.datetime | None = None, until: dt.datetime | None = None,
          after_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if kind:
        stmt = stmt.where(AuditEntry.kind == kind)
    if subject_type:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    if after_id:
        stmt = stmt.where(AuditEntry.id < after_id)
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))


def access_report(session: Session, actor: str, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """What an actor read of personal data in a window, and whose data it was (for a breach notice)."""
    rows = session.execute(
        select(AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.kind,
               func.count(), func.min(AuditEntry.at), func.max(AuditEntry.at))
        .where(AuditEntry.actor == actor, AuditEntry.kind.in_(PII_READ_KINDS),
               AuditEntry.at >= since, AuditEntry.at < until)
        .group_by(AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.kind)
        .order_by(func.min(AuditEntry.at))
    )
    return [
        {"subject_type": st, "subject_id": sid, "kind": k, "reads": n,
         "first": first.isoformat() if first else None, "last": last.isoformat() if last else None}
        for st, sid, k, n, first, last in rows
    ]


def purge_expired(session: Session, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete audit rows older than the retention period (never younger than 6 months)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=max(retention_days, 183))
    result = session.execute(AuditEntry.__table__.delete().where(AuditEntry.at < cutoff))
    return result.rowcount or 0
