"""Shopify webhooks over HTTP: signed by HMAC instead of a bearer token."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from guanxi.customers import webhooks
from guanxi.db import commit_retrying_conflicts
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import Invalid

router = APIRouter(prefix="/api/v1", tags=["webhooks"])


async def raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/webhooks/shopify")
def shopify_webhook(
    body: Annotated[bytes, Depends(raw_body)], session: SessionDep, runtime: RuntimeDep,
    x_shopify_topic: Annotated[str | None, Header()] = None,
    x_shopify_hmac_sha256: Annotated[str | None, Header()] = None,
    x_shopify_webhook_id: Annotated[str | None, Header()] = None,
    x_shopify_shop_domain: Annotated[str | None, Header()] = None,
) -> dict:
    """orders/create|paid|updated|cancelled, refunds/create, customers/create|update, fulfillments/create|update.

    401 unless X-Shopify-Hmac-Sha256 signs the raw body with GUANXI_SHOPIFY_WEBHOOK_SECRET. A redelivery
    (same X-Shopify-Webhook-Id) answers 200 and changes nothing. A refund or fulfilment for an order not
    known yet answers 404, so that Shopify retries it after the order's own webhook.
    """
    webhooks.verify_signature(runtime.settings.shopify_webhook_secret, body, x_shopify_hmac_sha256)
    if not x_shopify_topic:
        raise Invalid("missing X-Shopify-Topic header", errors=[{"loc": ["header", "X-Shopify-Topic"], "msg": "required"}])
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise Invalid("the body is not JSON", errors=[{"loc": ["body"], "msg": "malformed JSON"}]) from None
    if not isinstance(payload, dict):
        raise Invalid("the body must be a JSON object", errors=[{"loc": ["body"], "msg": "not an object"}])
    delivery = webhooks.Delivery(
        topic=x_shopify_topic.strip(), payload=payload, shop=(x_shopify_shop_domain or "")[:100] or None,
        delivery_id=webhooks.delivery_id_for(x_shopify_webhook_id, x_shopify_topic, body),
        region=runtime.settings.default_region)
    # Shopify sends orders/create and orders/paid for a new order almost together: the loser of
    # that race retries and finds the winner's rows.
    return commit_retrying_conflicts(session, lambda: webhooks.handle(session, runtime.cipher, delivery))
