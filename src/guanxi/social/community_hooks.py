"""Communities and creators in a customer's life: export, erasure and merges."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from guanxi.customers import hooks
from guanxi.customers.privacy_hooks import ERASED, person_ids
from guanxi.db import utcnow
from guanxi.social.community_models import Community, CommunityMember, Creator

MOVED, CLOSED, CREATORS = "social_community_members", "social_community_members_closed", "social_creators"


@hooks.exporter("social_communities")
def export_groups(session: Session, customer_id: int) -> dict:
    ids = person_ids(session, customer_id)
    groups = session.execute(select(Community, CommunityMember).join(
        CommunityMember, CommunityMember.community_id == Community.id).where(CommunityMember.customer_id.in_(ids))
        .order_by(CommunityMember.id)).all()
    return {"communities": [{"platform": g.platform, "id": g.external_id, "name": g.name,
                             "joined_at": m.joined_at.isoformat(),
                             "left_at": m.left_at.isoformat() if m.left_at else None}
                            for g, m in groups],
            "creator_accounts": [{"platform": c.platform, "id": c.external_id, "handle": c.handle,
                                  "followers": c.followers, "referral_code": c.referral_code}
                                 for c in session.scalars(select(Creator).where(Creator.customer_id.in_(ids)))]}


@hooks.eraser("social_communities")
def erase_groups(session: Session, customer_id: int) -> None:
    """Who was in which group goes; a creator record stays for the campaign figures, without its handle or link."""
    ids = person_ids(session, customer_id)
    session.execute(delete(CommunityMember).where(CommunityMember.customer_id.in_(ids)))
    session.execute(update(Creator).where(Creator.customer_id.in_(ids)).values(handle=ERASED, customer_id=None))


def _unmove(session: Session, moved: dict[str, list[int]], from_id: int) -> None:
    if moved.get(MOVED):
        session.execute(update(CommunityMember).where(CommunityMember.id.in_(moved[MOVED])).values(customer_id=from_id))
    if moved.get(CLOSED):
        session.execute(update(CommunityMember).where(CommunityMember.id.in_(moved[CLOSED])).values(left_at=None))
    if moved.get(CREATORS):
        session.execute(update(Creator).where(Creator.id.in_(moved[CREATORS])).values(customer_id=from_id))


@hooks.mover("social_communities", _unmove)
def move_groups(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    """The merged profile's groups become the survivor's; a group both were in keeps the survivor's row."""
    both = select(CommunityMember.community_id).where(CommunityMember.customer_id == to_id)
    closed = list(session.scalars(update(CommunityMember).where(
        CommunityMember.customer_id == from_id, CommunityMember.community_id.in_(both),
        CommunityMember.left_at.is_(None)).values(left_at=utcnow()).returning(CommunityMember.id)))
    moved = list(session.scalars(update(CommunityMember).where(
        CommunityMember.customer_id == from_id, CommunityMember.community_id.not_in(both))
        .values(customer_id=to_id).returning(CommunityMember.id)))
    creators = list(session.scalars(update(Creator).where(Creator.customer_id == from_id)
                                    .values(customer_id=to_id).returning(Creator.id)))
    return {MOVED: moved, CLOSED: closed, CREATORS: creators}
