"""Retention: what is past its retention period is deleted, in short batches, once a day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from guanxi.customers.models import CustomerEvent, WebhookDelivery
from guanxi.db import transaction
from guanxi.scheduler.registry import job

BATCH = 5000
# A redelivery comes within Shopify's 48-hour retry window; the ids are kept well past it.
WEBHOOK_DELIVERY_DAYS = 90


def _purge(factory: sessionmaker[Session], model, column, cutoff: dt.datetime) -> int:
    """Delete rows older than `cutoff` in batches, each its own short transaction."""
    removed = 0
    while True:
        with transaction(factory) as session:
            ids = list(session.scalars(select(model.id).where(column < cutoff).order_by(model.id).limit(BATCH)))
            if ids:
                session.execute(delete(model).where(model.id.in_(ids)))
        removed += len(ids)
        if len(ids) < BATCH:
            return removed


def purge_expired(factory: sessionmaker[Session], now: dt.datetime, events_days: int) -> dict:
    return {
        "events": _purge(factory, CustomerEvent, CustomerEvent.occurred_at, now - dt.timedelta(days=events_days)),
        "webhook_deliveries": _purge(factory, WebhookDelivery, WebhookDelivery.received_at,
                                     now - dt.timedelta(days=WEBHOOK_DELIVERY_DAYS)),
    }


@job("customers.retention", every="daily")
def apply_retention(ctx) -> dict:
    return purge_expired(ctx.factory, ctx.now, ctx.settings.retention_events_days)
