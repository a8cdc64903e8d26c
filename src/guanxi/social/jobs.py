"""Scheduled social work: crisis detection every hour, connector polls and pending replies every minute, late
author links daily.

Each is safe to run twice or late: a crisis signal is one event per (crisis, hour), a ticket is keyed by the
crisis, an alert goes out until one channel took it, and mentions are idempotent on (platform, id).
"""

from __future__ import annotations

import datetime as dt
import logging

from guanxi.db import transaction
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets
from guanxi.scheduler.registry import job
from guanxi.social import alerts, connectors, crisis, crisis_store, ingest, replies
from guanxi.social import customer_hooks as _customer_hooks  # noqa: F401  (timeline, export, erasure, merge)
from guanxi.social.settings import get_social_settings

log = logging.getLogger(__name__)


def _cipher(settings) -> PiiCipher:
    return PiiCipher(read_secrets(settings.secrets_path), reload=lambda: read_secrets(settings.secrets_path))


def detect_for_hour(factory, settings, social, hour: dt.datetime, now: dt.datetime, **channels) -> dict:
    """Detection for one complete hour, then the crisis's ticket and (after the commit) the staff alert."""
    with transaction(factory) as session:
        run = crisis_store.run_hour(session, hour, baseline_hours=social.baseline_hours, now=now)
        if run.crisis_id is None:
            return {"hour": run.hour.isoformat(), "signal": False}
        c = crisis_store.get(session, run.crisis_id)
        ticket_id = crisis_store.ensure_ticket(session, c, now=now)
        need_alert = not crisis_store.alert_sent(session, c.id)
        text = alerts.text_of(c.id, c.severity, c.reasons, c.keywords, social.public_url)
        crisis_id = c.id
    sent = alerts.send(settings, social, crisis_id, *text, **channels) if need_alert else []
    if sent:
        with transaction(factory) as session:
            crisis_store._event(session, crisis_id, "alert_sent", "system", at=now, channels=sent)
    return {"hour": run.hour.isoformat(), "signal": True, "crisis_id": crisis_id, "opened": run.opened,
            "ticket_id": ticket_id, "alerted": sent}


@job("social.detect_crises", every="hourly")
def detect_crises(ctx) -> dict:
    last_complete = crisis.floor_hour(ctx.now) - dt.timedelta(hours=1)
    return detect_for_hour(ctx.factory, ctx.settings, get_social_settings(), last_complete, ctx.now)


@job("social.poll_connectors", every="minutely")
def poll_connectors(ctx) -> dict:
    social = get_social_settings()
    if not social.connectors:
        return {"polled": []}
    cipher = _cipher(ctx.settings)
    out = {}
    for platform, config in social.connectors.items():
        try:
            res = connectors.poll(ctx.factory, cipher, platform, config, now=ctx.now,
                                  on_new=lambda s, done: crisis_store.complaint_tickets(s, done.created, now=ctx.now))
            out[platform] = {"fetched": res.fetched, "created": res.created}
        except Exception as exc:  # one platform down must not stop the others
            log.warning("social connector %s failed: %s", platform, exc)
            out[platform] = {"error": str(exc)[:200]}
    return {"polled": out}


@job("social.send_replies", every="minutely")
def send_replies(ctx) -> dict:
    """Replies the platform did not take yet (a timeout, a 5xx): the same idempotency key, so never twice."""
    connectors_cfg = get_social_settings().connectors
    with transaction(ctx.factory) as session:
        ids = replies.pending(session)
    done = {mid: replies.deliver(ctx.factory, connectors_cfg, mid, now=ctx.now) for mid in ids}
    return {"sent": sum(v == "sent" for v in done.values()), "still_pending": sum(v == "pending" for v in done.values()),
            "failed": sum(v == "failed" for v in done.values())}


@job("social.link_authors", every="daily")
def link_authors(ctx) -> dict:
    with transaction(ctx.factory) as session:
        return {"linked": ingest.resolve_authors(session, _cipher(ctx.settings))}
