"""Live-stream sessions, communities (社群) and creators over HTTP: idempotent upserts on (platform, id), reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from guanxi.deps import SessionDep, SocialManager, SocialReader
from guanxi.schemas import IdPath
from guanxi.social import communities, creators, livestreams
from guanxi.social import community_hooks as _community_hooks  # noqa: F401  (export, erasure, merge)
from guanxi.social.community_schemas import (
    CommunitiesPage, CommunityCreate, CommunityPublic, CreatorCreate, CreatorReport, CreatorsPage, LiveSessionCreate,
    LiveSessionReport, LiveSessionsPage, MemberLeft, MemberPublic, MembersCreate, MembersJoined, MembersPage,
)

router = APIRouter(prefix="/api/v1/social", tags=["social"])
PlatformQuery = Annotated[str | None, Query(max_length=20)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**6)]
Days = Annotated[int, Query(ge=1, le=366)]
SAME = {200: {"description": "Already stored under (platform, id): updated"}}


@router.post("/live-sessions", response_model=LiveSessionReport, status_code=201, responses=SAME)
def put_live_session(body: LiveSessionCreate, actor: SocialManager, session: SessionDep,
                     response: Response) -> LiveSessionReport:
    """Record a live-stream session; sending it again (more viewers, the end time) updates it."""
    row, created = livestreams.upsert_session(session, platform=body.platform, external_id=body.id, host=body.host,
                                              title=body.title, started_at=body.started_at, ended_at=body.ended_at,
                                              viewers=body.viewers)
    session.commit()
    response.status_code = 201 if created else 200
    return LiveSessionReport(**livestreams.report(session, row))


@router.get("/live-sessions", response_model=LiveSessionsPage)
def list_live_sessions(actor: SocialReader, session: SessionDep, platform: PlatformQuery = None, limit: Limit = 50,
                       offset: Offset = 0) -> LiveSessionsPage:
    rows, count = livestreams.sessions(session, platform=platform, limit=limit, offset=offset)
    return LiveSessionsPage(items=[LiveSessionReport(**livestreams.report(session, r)) for r in rows], count=count)


@router.get("/live-sessions/{session_id}", response_model=LiveSessionReport)
def get_live_session(session_id: IdPath, actor: SocialReader, session: SessionDep) -> LiveSessionReport:
    return LiveSessionReport(**livestreams.report(session, livestreams.get(session, session_id)))


@router.post("/communities", response_model=CommunityPublic, status_code=201, responses=SAME)
def put_community(body: CommunityCreate, actor: SocialManager, session: SessionDep,
                  response: Response) -> CommunityPublic:
    row, created = communities.upsert_community(session, platform=body.platform, external_id=body.id,
                                                name=body.name, kind=body.kind)
    session.commit()
    response.status_code = 201 if created else 200
    return CommunityPublic(**communities.summary(session, row))


@router.get("/communities", response_model=CommunitiesPage)
def list_communities(actor: SocialReader, session: SessionDep, platform: PlatformQuery = None, days: Days = 30,
                     limit: Limit = 50, offset: Offset = 0) -> CommunitiesPage:
    items, count = communities.listing(session, platform=platform, days=days, limit=limit, offset=offset)
    return CommunitiesPage(items=[CommunityPublic(**i) for i in items], count=count)


@router.get("/communities/{community_id}", response_model=CommunityPublic)
def get_community(community_id: IdPath, actor: SocialReader, session: SessionDep, days: Days = 30) -> CommunityPublic:
    return CommunityPublic(**communities.summary(session, communities.get(session, community_id), days=days))


@router.get("/communities/{community_id}/members", response_model=MembersPage)
def list_members(community_id: IdPath, actor: SocialReader, session: SessionDep, limit: Limit = 200,
                 offset: Offset = 0) -> MembersPage:
    ids = communities.member_ids(session, community_id)
    rows = communities.members(session, community_id, limit=limit, offset=offset)
    return MembersPage(items=[MemberPublic.model_validate(m) for m in rows], count=len(ids))


@router.post("/communities/{community_id}/members", response_model=MembersJoined)
def join_members(community_id: IdPath, body: MembersCreate, actor: SocialManager, session: SessionDep) -> MembersJoined:
    """People joined the group (all or none: an unknown customer id is a 404 and nobody is added)."""
    done = communities.join(session, community_id, body.customer_ids)
    session.commit()
    return MembersJoined(**done)


@router.delete("/communities/{community_id}/members/{customer_id}", response_model=MemberLeft)
def leave_member(community_id: IdPath, customer_id: IdPath, actor: SocialManager, session: SessionDep) -> MemberLeft:
    left = communities.leave(session, community_id, customer_id)
    session.commit()
    return MemberLeft(left=left)


@router.post("/creators", response_model=CreatorReport, status_code=201, responses=SAME)
def put_creator(body: CreatorCreate, actor: SocialManager, session: SessionDep, response: Response) -> CreatorReport:
    row, created = creators.upsert_creator(session, platform=body.platform, external_id=body.id, handle=body.handle,
                                           followers=body.followers, customer_id=body.customer_id,
                                           referral_code=body.referral_code)
    session.commit()
    response.status_code = 201 if created else 200
    return CreatorReport(**creators.report(session, row))


@router.get("/creators", response_model=CreatorsPage)
def list_creators(actor: SocialReader, session: SessionDep, platform: PlatformQuery = None, limit: Limit = 50,
                  offset: Offset = 0) -> CreatorsPage:
    rows, count = creators.creators(session, platform=platform, limit=limit, offset=offset)
    return CreatorsPage(items=[CreatorReport(**creators.report(session, r)) for r in rows], count=count)


@router.get("/creators/{creator_id}", response_model=CreatorReport)
def get_creator(creator_id: IdPath, actor: SocialReader, session: SessionDep) -> CreatorReport:
    return CreatorReport(**creators.report(session, creators.get(session, creator_id)))
