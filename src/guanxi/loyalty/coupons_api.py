"""Coupon codes for the shop's checkout: validate a code against a cart, and consume it once for an order."""

from __future__ import annotations

import dataclasses

from typing import Annotated

from fastapi import APIRouter, Path, Response

from guanxi.deps import OrderWriter, SessionDep
from guanxi.loyalty import coupons
from guanxi.loyalty.schemas import (
    CouponCart, CouponConsumptionCreate, CouponUsePublic, CouponValidationCreate, CouponValidationPublic,
)

router = APIRouter(tags=["loyalty"])  # included by loyalty.api under /api/v1
CodePath = Annotated[str, Path(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]


def _cart(body: CouponCart) -> coupons.Cart:
    return coupons.Cart(currency=body.currency, shipping_minor=body.shipping_minor,
                        lines=tuple(coupons.CartLine(l.sku, l.quantity, l.unit_price_minor, l.category)
                                    for l in body.lines))


@router.post("/coupons/validations", response_model=CouponValidationPublic)
def validate_coupon(body: CouponValidationCreate, actor: OrderWriter, session: SessionDep) -> CouponValidationPublic:
    """What the code gives, whose it is, and whether it applies to this cart now (`problems` say why not)."""
    c = coupons.check(session, body.code, body.customer_id, _cart(body.cart))
    return CouponValidationPublic(
        code=c.redemption.code, valid=c.valid, problems=c.outcome.problems, customer_id=c.redemption.customer_id,
        reward_id=c.reward.id, reward_name=c.reward.name, coupon=dataclasses.asdict(c.coupon),
        expires_at=c.expires_at, discount_minor=c.outcome.discount_minor, free_shipping=c.outcome.free_shipping,
        eligible_minor=c.outcome.eligible_minor, used_by_order=c.use.order_ref if c.use else None)


@router.post("/coupons/{code}/consumption", response_model=CouponUsePublic, status_code=201,
             responses={200: {"model": CouponUsePublic, "description": "This order used the code before"}})
def consume_coupon(code: CodePath, body: CouponConsumptionCreate, actor: OrderWriter, session: SessionDep,
                   response: Response) -> CouponUsePublic:
    """Use the code for an order, once; the same order again answers 200 with the first use."""
    use, created = coupons.consume(session, code, body.customer_id, body.order_ref, _cart(body.cart))
    session.commit()
    response.status_code = 201 if created else 200
    return CouponUsePublic(code=code.upper(), customer_id=use.customer_id, order_ref=use.order_ref,
                           discount_minor=use.discount_minor, currency=use.currency,
                           free_shipping=use.free_shipping, at=use.at)
