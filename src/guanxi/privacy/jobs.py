"""Scheduled privacy work."""

from __future__ import annotations

from guanxi.db import transaction
from guanxi.privacy import audit
from guanxi.scheduler.registry import job


@job("privacy.audit_retention", every="daily")
def purge_old_audit_rows(ctx) -> dict:
    with transaction(ctx.factory) as session:
        removed = audit.purge_expired(session, ctx.settings.audit_retention_days, ctx.now)
    return {"removed": removed}
