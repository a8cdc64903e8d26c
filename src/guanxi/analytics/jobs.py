"""Scheduled work of the analytics domain."""

from __future__ import annotations

from guanxi.analytics import membership, person_hooks, report_mail, scheduled_reports  # noqa: F401  (hooks for the worker)
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


@job("analytics.send_reports", every="hourly")
def send_reports(ctx) -> dict:
    """The scheduled KPI reports due today, once per (schedule, period): claimed and composed in one
    transaction, mailed after its commit (a rolled-back claim never mails; a rerun finds them claimed)."""
    with transaction(ctx.factory) as session:
        mails = [(c, report_mail.compose(session, ctx.settings, c))
                 for c in scheduled_reports.claim_due(session, ctx.now, ctx.settings.default_timezone)]
    delivered = {}
    for claimed, (subject, html, text) in mails:
        delivered[claimed.send_id] = sum(report_mail.send(ctx.settings, to, subject, html, text) for to in claimed.to)
    if delivered:
        with transaction(ctx.factory) as session:
            for send_id, n in delivered.items():
                scheduled_reports.record_delivered(session, send_id, n)
    return {"reports": len(mails), "mails": sum(delivered.values())}
