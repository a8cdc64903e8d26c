"""Scheduled shipment work: flag parcels that stopped moving, so care and service can act first."""

from __future__ import annotations

from guanxi.customers import shipments
from guanxi.db import transaction
from guanxi.scheduler.registry import job


@job("customers.stuck_shipments", every="hourly")
def flag_stuck_shipments(ctx) -> dict:
    with transaction(ctx.factory) as session:
        flagged = shipments.flag_stuck(session, ctx.now, ctx.settings.stuck_shipment_days)
    return {"flagged": len(flagged), "shipment_ids": flagged[:100]}
