"""Creators (KOL / 达人): reach, engagement from their ingested posts, and what their referral code brought
(through the loyalty domain's referral service)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.errors import Invalid, NotFound
from guanxi.loyalty import referral
from guanxi.social import keyed
from guanxi.social.community_models import Creator
from guanxi.social.models import Mention


def upsert_creator(session: Session, *, platform: str, external_id: str, handle: str, followers: int = 0,
                   customer_id: int | None = None, referral_code: str | None = None) -> tuple[Creator, bool]:
    """A creator linked to a customer gets that customer's referral code unless another code is named;
    a named code must exist and, with a customer, be theirs."""
    if customer_id is not None:
        customer_id = profiles.live_customer(session, customer_id).id
    if referral_code:
        owner = referral.code_owner(session, referral_code)
        if owner is None:
            raise Invalid(f"no referral code {referral_code!r}: use a member's code (GET /api/v1/customers/{{id}}"
                          "/referral) or leave it out", errors=[{"loc": ["body", "referral_code"], "msg": "unknown"}])
        if customer_id is not None and profiles.live_customer(session, owner).id != customer_id:
            raise Invalid("the referral code belongs to another customer than the one linked",
                          errors=[{"loc": ["body", "referral_code"], "msg": "not this customer's code"}])
        referral_code = referral_code.strip().upper()
    elif customer_id is not None:
        referral_code = referral.code_for(session, customer_id)
    return keyed.upsert(session, Creator, platform, external_id, {
        "handle": handle, "followers": followers, "customer_id": customer_id, "referral_code": referral_code or None})


def get(session: Session, creator_id: int) -> Creator:
    row = session.get(Creator, creator_id)
    if row is None:
        raise NotFound(f"no creator {creator_id}")
    return row


def creators(session: Session, *, platform: str | None = None, limit: int = 50, offset: int = 0
             ) -> tuple[list[Creator], int]:
    stmt = select(Creator)
    if platform:
        stmt = stmt.where(Creator.platform == platform)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Creator.followers.desc(), Creator.id).offset(offset).limit(limit))
    return list(rows), count


def linked_to(session: Session, customer_id: int) -> list[Creator]:
    return list(session.scalars(select(Creator).where(Creator.customer_id == customer_id).order_by(Creator.id)))


def engagement(session: Session, creator: Creator) -> dict:
    """Per post of theirs that was ingested: likes, and comments counted from the comments ingested under it.

    Shares are not ingested (the mention feed has no share count), so they are not part of the figure.
    `rate` is (likes + comments) per post over followers, the usual engagement rate.
    """
    posts = list(session.execute(select(Mention.external_id, Mention.likes).where(
        Mention.platform == creator.platform, Mention.author_ref == creator.external_id, Mention.kind == "post",
        Mention.status == "visible")).all())
    if not posts:
        return {"posts": 0, "likes_per_post": None, "comments_per_post": None, "rate": None}
    likes = sum(int(n or 0) for _, n in posts)
    comments = session.scalar(select(func.count()).where(
        Mention.platform == creator.platform, Mention.parent_id.in_([pid for pid, _ in posts]),
        Mention.status == "visible")) or 0
    n = len(posts)
    rate = round((likes + comments) / n / creator.followers, 4) if creator.followers else None
    return {"posts": n, "likes_per_post": round(likes / n, 2), "comments_per_post": round(comments / n, 2),
            "rate": rate}


def report(session: Session, creator: Creator) -> dict:
    results = None
    if creator.referral_code:
        r = referral.code_results(session, creator.referral_code)
        results = {"signups": r.signups, "held": r.held, "first_orders": r.first_orders,
                   "revenue": [{"currency": c, "amount_minor": a} for c, a in r.revenue.items()]}
    return {"id": creator.id, "platform": creator.platform, "external_id": creator.external_id,
            "handle": creator.handle, "followers": creator.followers, "customer_id": creator.customer_id,
            "referral_code": creator.referral_code, "engagement": engagement(session, creator),
            "referrals": results}
