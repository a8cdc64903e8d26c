"""Scheduled work of the analytics domain."""

from __future__ import annotations

from guanxi.analytics import membership, person_hooks  # noqa: F401  (hooks for the worker)
from guanxi.analytics.recompute import recompute_and_sync, today
from guanxi.db import transaction
from guanxi.scheduler.registry import job


@job("analytics.recompute", every="daily")
def recompute_scores(ctx) -> dict:
    """Re-score every customer once a day; running it again the same day replaces the same rows.
    New scores move segment members at once (entries and exits), not only at the next rebuild."""
    with transaction(ctx.factory) as session:
        return recompute_and_sync(session, ctx.settings, as_of=today(ctx.settings, ctx.now), now=ctx.now)


@job("analytics.rebuild_segments", every="daily")
def rebuild_segments(ctx) -> dict:
    """The safety net of live membership: every dynamic segment against its rule; a rerun finds no difference."""
    with transaction(ctx.factory) as session:
        return membership.rebuild(session, now=ctx.now)
