"""Scheduled service-desk work: SLA warnings and escalations, closing quiet resolved tickets,
follow-ups, progress updates, the scheduled NPS, the weekly feedback digest and retraining the
category classifier."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from guanxi.db import transaction
from guanxi.scheduler.registry import job
from guanxi.service import care_messages, categories, digest, escalation, notify, nps_schedule, training
from guanxi.service.settings import get_service_settings


@job("service.escalate_breached_tickets", every="minutely")
def escalate_breached_tickets(ctx) -> dict:
    with transaction(ctx.factory) as session:
        out = escalation.run(session, get_service_settings(), ctx.now)
    for lead, ticket_id in out.leads:  # after the commit: a lead is told only about escalations that stuck
        notify.send(ctx.settings, lead, f"SLA breached: ticket #{ticket_id}",
                    f"Ticket #{ticket_id} has breached its SLA and was escalated.")
    return {"escalated": len(out.escalated), "warned": len(out.warned), "ticket_ids": out.escalated[:100]}


@job("service.close_resolved_tickets", every="hourly")
def close_resolved_tickets(ctx) -> dict:
    with transaction(ctx.factory) as session:
        closed = escalation.close_quiet(session, get_service_settings(), ctx.now)
    return {"closed": len(closed)}


@job("service.follow_ups", every="daily")
def follow_ups(ctx) -> dict:
    cfg = get_service_settings()
    today = ctx.now.astimezone(ZoneInfo(cfg.timezone)).date()
    with transaction(ctx.factory) as session:
        done = escalation.follow_ups(session, cfg, today, ctx.now)
    return {"follow_ups": len(done)}


@job("service.progress_updates", every="hourly")
def progress_updates(ctx) -> dict:
    """Customers with an open ticket get an update every GUANXI_SERVICE_PROGRESS_HOURS, through care."""
    with transaction(ctx.factory) as session:
        queued = care_messages.progress_updates(session, _cipher(ctx), ctx.now, get_service_settings().progress_hours)
    return {"queued": len(queued)}


def _cipher(ctx):
    from guanxi.privacy.crypto import PiiCipher
    from guanxi.privacy.secrets import read_secrets

    path = ctx.settings.secrets_path
    return PiiCipher(read_secrets(path), reload=lambda: read_secrets(path))


@job("service.scheduled_nps", every="daily")
def scheduled_nps(ctx) -> dict:
    """The NPS survey to customers with orders, at most once per GUANXI_SERVICE_NPS_EVERY_DAYS each."""
    with transaction(ctx.factory) as session:
        sent = nps_schedule.run(session, _cipher(ctx), get_service_settings(), ctx.now)
    return {"sent": len(sent)}


@job("service.weekly_digest", every="daily")
def weekly_digest(ctx) -> dict:
    """Last week's feedback digest to each team, once per (team, ISO week): the first run of a week sends it."""
    with transaction(ctx.factory) as session:
        digests = digest.claim_digests(session, ctx.now, get_service_settings().timezone)
    mails = 0
    for d in digests:   # after the commit, so a rolled-back claim never mails
        for to in d.recipients:
            mails += notify.send(ctx.settings, to, d.subject, d.body) is not None
    return {"teams": len(digests), "mails": mails}


@job("service.retrain_classifier", every="daily")
def retrain_classifier(ctx) -> dict:
    """Naive Bayes on the closed tickets; it suggests categories only while it beats the keyword rules."""
    with transaction(ctx.factory) as session:
        row = training.retrain(session, categories.rules(session), ctx.now)
        return {"examples": row.examples, "held_out": row.held_out, "naive_bayes_accuracy": row.naive_bayes_accuracy,
                "keyword_accuracy": row.keyword_accuracy, "in_use": row.in_use}
