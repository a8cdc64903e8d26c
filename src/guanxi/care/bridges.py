"""Care's use of the loyalty and analytics domains, through their service functions only.

Loaded by whatever builds a message context or an audience. A domain that is not installed
(or not yet built) leaves care working without it: points 0, no points offers, no segments, no communities.
"""

from __future__ import annotations

import importlib.util

from sqlalchemy.orm import Session

from guanxi.care import context, offers, segments
from guanxi.errors import Invalid
from guanxi.staff.roles import SYSTEM

MAX_OFFER_POINTS = 100_000


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def loyalty_fields(session: Session, customer_id: int) -> dict:
    from guanxi.loyalty import points

    summary = points.summary(session, customer_id)
    return {"points": int(summary.get("available") or 0), "tier": summary.get("tier") or ""}


def loyalty_fields_many(session: Session, customer_ids: list[int]) -> dict[int, dict]:
    from guanxi.loyalty import points

    found = points.available_and_tiers(session, customer_ids)
    return {cid: {"points": int(f.get("available") or 0), "tier": f.get("tier") or ""} for cid, f in found.items()}


class LoyaltyPoints:
    """An offer of points, granted once per message key through loyalty's own adjustment."""

    def check(self, offer: dict) -> None:
        value = offer.get("points")
        if not isinstance(value, int) or not 1 <= value <= MAX_OFFER_POINTS:
            raise Invalid(f"a points offer gives 1 to {MAX_OFFER_POINTS} points")

    def issue(self, session: Session, customer_id: int, offer: dict, key: str) -> dict:
        from guanxi.loyalty import points

        title = offer.get("title") or "care campaign"
        points.adjust(session, customer_id, offer["points"], title, f"care:{key}", SYSTEM)
        return {"kind": "points", "code": "", "title": title, "points": offer["points"], "expires": ""}


def analytics_segment_members(session: Session, segment_id: int) -> list[int]:
    from guanxi.analytics import reports, segment_rules

    row = reports.get_segment(session, segment_id)
    return reports.member_ids(session, segment_rules.parse(row.rule), limit=10_000_000)


def social_community_members(session: Session, community_id: int) -> list[int]:
    from guanxi.social import communities

    return communities.member_ids(session, community_id)


def install() -> None:
    if _have("guanxi.loyalty.points"):
        context.customer_fields.setdefault("loyalty", loyalty_fields)
        context.customer_fields_many.setdefault("loyalty", loyalty_fields_many)
        offers.providers.setdefault("points", LoyaltyPoints())
    if _have("guanxi.analytics.reports") and _have("guanxi.analytics.segment_rules"):
        segments.register_default(analytics_segment_members)
    if _have("guanxi.social.communities"):
        segments.register_default(social_community_members, segments.COMMUNITY)


install()
