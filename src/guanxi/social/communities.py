"""Communities (社群): WeChat groups and forums as lists of customers — who is in which group, how active it is,
and its members as a care campaign's audience (`member_ids`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import NotFound
from guanxi.social import keyed
from guanxi.social.community_models import Community, CommunityMember
from guanxi.social.models import Mention

KINDS = ("group", "forum")


def upsert_community(session: Session, *, platform: str, external_id: str, name: str, kind: str
                     ) -> tuple[Community, bool]:
    return keyed.upsert(session, Community, platform, external_id, {"name": name, "kind": kind})


def get(session: Session, community_id: int) -> Community:
    row = session.get(Community, community_id)
    if row is None:
        raise NotFound(f"no community {community_id}")
    return row


def join(session: Session, community_id: int, customer_ids: Iterable[int], at: dt.datetime | None = None
         ) -> dict[str, int]:
    """Add people to a group; someone already in it stays as they were, someone who had left is back."""
    group = get(session, community_id)
    at = at or utcnow()
    joined = already = 0
    for wanted in dict.fromkeys(customer_ids):
        cid = profiles.live_customer(session, wanted).id       # a merged profile joins as the one it became
        row = session.scalar(select(CommunityMember).where(CommunityMember.community_id == group.id,
                                                           CommunityMember.customer_id == cid))
        if row is None:
            # ON CONFLICT DO NOTHING: the same join arriving twice at once adds one row, not an error.
            new = session.scalar(insert_ignoring_conflicts(session, CommunityMember, ["community_id", "customer_id"])
                                 .returning(CommunityMember.id),
                                 {"community_id": group.id, "customer_id": cid, "joined_at": at})
            joined, already = joined + (new is not None), already + (new is None)
        elif row.left_at is not None:
            row.joined_at, row.left_at = at, None
            joined += 1
        else:
            already += 1
    return {"joined": joined, "already_members": already}


def leave(session: Session, community_id: int, customer_id: int, at: dt.datetime | None = None) -> bool:
    """Mark someone as gone; False when they were not a member (leaving twice changes nothing)."""
    group = get(session, community_id)
    try:
        customer_id = profiles.live_customer(session, customer_id).id   # merged since: their row moved
    except NotFound:
        return False                                                    # unknown or erased: not a member
    row = session.scalar(select(CommunityMember).where(CommunityMember.community_id == group.id,
                                                       CommunityMember.customer_id == customer_id))
    if row is None or row.left_at is not None:
        return False
    row.left_at = at or utcnow()
    return True


def member_ids(session: Session, community_id: int) -> list[int]:
    """The current members' customer ids: what a campaign aimed at the group reaches."""
    group = get(session, community_id)
    return list(session.scalars(select(CommunityMember.customer_id).where(
        CommunityMember.community_id == group.id, CommunityMember.left_at.is_(None))
        .order_by(CommunityMember.customer_id)))


def members(session: Session, community_id: int, *, limit: int = 200, offset: int = 0) -> list[CommunityMember]:
    return list(session.scalars(select(CommunityMember).where(
        CommunityMember.community_id == community_id, CommunityMember.left_at.is_(None))
        .order_by(CommunityMember.joined_at.desc(), CommunityMember.id.desc()).offset(offset).limit(limit)))


def groups_of(session: Session, customer_id: int) -> list[Community]:
    return list(session.scalars(select(Community).join(CommunityMember, CommunityMember.community_id == Community.id)
                                .where(CommunityMember.customer_id == customer_id, CommunityMember.left_at.is_(None))
                                .order_by(Community.name)))


def activity(session: Session, group: Community, *, days: int, now: dt.datetime | None = None) -> dict:
    """Messages and posts in the group over the last `days` (ingested mentions whose parent is the group)."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    in_group = (Mention.platform == group.platform, Mention.parent_id == group.external_id,
                Mention.status == "visible", Mention.posted_at >= since)
    messages, authors, last = session.execute(select(
        func.count(), func.count(func.distinct(Mention.author_ref)), func.max(Mention.posted_at)
    ).where(*in_group)).one()
    current = select(CommunityMember.customer_id).where(CommunityMember.community_id == group.id,
                                                        CommunityMember.left_at.is_(None))
    active = session.scalar(select(func.count(func.distinct(Mention.customer_id))).where(
        *in_group, Mention.customer_id.in_(current))) or 0
    return {"days": days, "messages": int(messages or 0), "authors": int(authors or 0),
            "active_members": int(active), "last_message_at": last}


def listing(session: Session, *, platform: str | None = None, days: int = 30, limit: int = 50, offset: int = 0
            ) -> tuple[list[dict], int]:
    stmt = select(Community)
    if platform:
        stmt = stmt.where(Community.platform == platform)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(Community.name, Community.id).offset(offset).limit(limit)))
    sizes = dict(session.execute(select(CommunityMember.community_id, func.count()).where(
        CommunityMember.community_id.in_([g.id for g in rows]), CommunityMember.left_at.is_(None))
        .group_by(CommunityMember.community_id)).all())
    return [summary(session, g, members=int(sizes.get(g.id, 0)), days=days) for g in rows], count


def summary(session: Session, group: Community, *, members: int | None = None, days: int = 30) -> dict:
    if members is None:
        members = len(member_ids(session, group.id))
    return {"id": group.id, "platform": group.platform, "external_id": group.external_id, "name": group.name,
            "kind": group.kind, "members": members, "activity": activity(session, group, days=days)}
