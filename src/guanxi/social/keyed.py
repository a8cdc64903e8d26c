"""Records keyed by (platform, external id): the platform's own id makes a repeated send an update, not a copy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts


def upsert(session: Session, model, platform: str, external_id: str, values: dict):
    """Insert the record or update the one stored under (platform, external_id); returns (row, created).

    INSERT … ON CONFLICT DO NOTHING first, so two requests sending the same record at once make one row.
    """
    now = utcnow()
    stmt = insert_ignoring_conflicts(session, model, ["platform", "external_id"]).returning(model.id)
    new_id = session.scalar(stmt, {"platform": platform, "external_id": external_id, "created_at": now,
                                   "updated_at": now, **values})
    row = session.scalar(select(model).where(model.platform == platform, model.external_id == external_id)
                         .execution_options(populate_existing=True))
    if new_id is None:
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        for key, value in changed.items():
            setattr(row, key, value)
        if changed:
            row.updated_at = now
        session.flush()
    return row, new_id is not None
