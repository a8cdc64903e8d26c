"""Offers attached to a campaign's message: a seam for the loyalty domain.

A provider turns a campaign's offer ({"kind": "coupon", ...}) into what the template shows
(code, title, points). The built-in `coupon_code` provider hands out a fixed code the shop
created elsewhere; loyalty registers `points` and `coupon` providers when it lands, e.g.

    offers.register("points", LoyaltyPoints())   # grants through loyalty's own service functions
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from guanxi.errors import Invalid


class OfferProvider(Protocol):
    def check(self, offer: dict) -> None:
        """Raise Invalid when the offer cannot be honoured (checked when a campaign is activated)."""

    def issue(self, session: Session, customer_id: int, offer: dict, key: str) -> dict:
        """Give the offer to the customer once per `key`; returns {"code", "title", "points", "expires"}."""


class FixedCouponCode:
    def check(self, offer: dict) -> None:
        if not str(offer.get("code") or "").strip():
            raise Invalid("a coupon_code offer needs a code")

    def issue(self, session: Session, customer_id: int, offer: dict, key: str) -> dict:
        return {"kind": "coupon", "code": offer["code"], "title": offer.get("title", ""), "points": 0,
                "expires": offer.get("expires", "")}


providers: dict[str, OfferProvider] = {"coupon_code": FixedCouponCode()}


def register(kind: str, provider: OfferProvider) -> None:
    providers[kind] = provider


def provider_for(offer: dict) -> OfferProvider:
    kind = offer.get("kind")
    if kind not in providers:
        raise Invalid(f"no provider for offer kind {kind!r} (available: {', '.join(sorted(providers))})")
    return providers[kind]


def check(offer: dict | None) -> None:
    if offer:
        provider_for(offer).check(offer)


def issue(session: Session, customer_id: int, offer: dict | None, key: str) -> dict | None:
    if not offer:
        return None
    return provider_for(offer).issue(session, customer_id, offer, key)
