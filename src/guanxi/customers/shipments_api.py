"""Shipments over HTTP, for shops that do not send Shopify fulfilment webhooks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import Field, StrictInt

from guanxi.customers import shipments
from guanxi.deps import OrderWriter, SessionDep
from guanxi.schemas import IdPath, PublicModel, StrictModel, Timestamp

router = APIRouter(prefix="/api/v1", tags=["shipments"])


class ShipmentLine(StrictModel):
    sku: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[StrictInt, Field(gt=0, le=1_000_000)]


class ShipmentCreate(StrictModel):
    external_id: Annotated[str, Field(min_length=1, max_length=100)]
    status: Literal[shipments.SHIPMENT_STATUSES] = "in_transit"  # type: ignore[valid-type]
    carrier: Annotated[str, Field(max_length=60)] | None = None
    tracking_number: Annotated[str, Field(max_length=100)] | None = None
    shipped_at: Timestamp | None = None
    delivered_at: Timestamp | None = None
    at: Timestamp | None = Field(default=None, description="when this update happened at the carrier (default: now)")
    lines: list[ShipmentLine] = Field(default_factory=list, max_length=500)


class ShipmentPublic(PublicModel):
    id: int
    order_id: int
    external_id: str
    status: str
    carrier: str | None
    tracking_number: str | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_movement_at: dt.datetime | None
    stuck_since: dt.datetime | None


@router.post("/orders/{order_id}/shipments", response_model=ShipmentPublic, status_code=201,
             responses={200: {"model": ShipmentPublic, "description": "A known shipment, updated"}})
def record_shipment(order_id: IdPath, body: ShipmentCreate, actor: OrderWriter, session: SessionDep,
                    response: Response) -> ShipmentPublic:
    """Create or update the order's shipment `external_id`; a `delivered` status starts the return window."""
    shipment, created = shipments.record_shipment(session, order_id, shipments.ShipmentIn(
        external_id=body.external_id, status=body.status, carrier=body.carrier, tracking_number=body.tracking_number,
        lines=[line.model_dump() for line in body.lines], shipped_at=body.shipped_at,
        delivered_at=body.delivered_at, at=body.at))
    reply = ShipmentPublic.model_validate(shipment)
    session.commit()
    response.status_code = 201 if created else 200
    return reply
