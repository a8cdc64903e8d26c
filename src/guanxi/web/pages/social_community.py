"""Live-stream sessions, communities (社群) with their members, and creators (KOL): staff pages over the social
domain's service functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import SessionDep
from guanxi.errors import GuanxiError
from guanxi.social import communities, creators, livestreams
from guanxi.staff.roles import Perm
from guanxi.web import menu, sections
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import is_htmx, render, state_of

router = APIRouter()
menu.add("social_community", N_("Live and community"), "/social/live", Perm.social_read, order=36)
Reader = page_for(Perm.social_read)
Manager = page_for(Perm.social_manage)
PlatformQuery = Annotated[str, Query(max_length=20)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Days = Annotated[int, Query(ge=1, le=366)]
FormShort = Annotated[str, Form(max_length=30)]
KINDS = {"group": N_("Group"), "forum": N_("Forum")}
PAGE = 50


@router.get("/social/live")
def live_page(request: Request, actor: Reader, session: SessionDep, platform: PlatformQuery = "", offset: Offset = 0):
    rows, count = livestreams.sessions(session, platform=platform or None, limit=PAGE, offset=offset)
    return render(request, "social_community/live.html", {
        "items": [livestreams.report(session, r) for r in rows], "count": count, "platform": platform,
        "offset": offset, "page": PAGE}, fragment="social_community/_live_table.html")


@router.get("/social/communities")
def communities_page(request: Request, actor: Reader, session: SessionDep, platform: PlatformQuery = "",
                     days: Days = 30, offset: Offset = 0):
    items, count = communities.listing(session, platform=platform or None, days=days, limit=PAGE, offset=offset)
    return render(request, "social_community/communities.html", {
        "items": items, "count": count, "platform": platform, "days": days, "offset": offset, "page": PAGE,
        "kinds": KINDS}, fragment="social_community/_communities_table.html")


def _community(request: Request, actor, session, community_id: int, *, days: int = 30, error: str | None = None,
               customer_id: str = ""):
    group = communities.get(session, community_id)
    return render(request, "social_community/community.html", {
        "g": communities.summary(session, group, days=days), "days": days, "kinds": KINDS,
        "members": communities.members(session, group.id, limit=200), "can_manage": actor.can(Perm.social_manage),
        "error": error, "customer_id": customer_id}, fragment="social_community/_members.html",
        status=422 if error else 200)


@router.get("/social/communities/{community_id}")
def community_page(community_id: int, request: Request, actor: Reader, session: SessionDep, days: Days = 30):
    return _community(request, actor, session, community_id, days=days)


def _after_write(request: Request, actor, session, community_id: int):
    """HTMX swaps the member list in place; without JavaScript, post/redirect/get."""
    if is_htmx(request):
        return _community(request, actor, session, community_id)
    return RedirectResponse(f"/social/communities/{community_id}", status_code=303)


@router.post("/social/communities/{community_id}/members")
def join_member(community_id: int, request: Request, actor: Manager, session: SessionDep, customer_id: FormShort = ""):
    raw = customer_id.strip().lstrip("#")
    if not raw.isdigit() or not 1 <= int(raw) <= 2**62:
        return _community(request, actor, session, community_id, customer_id=customer_id,
                          error=state_of(request).t.gettext("Enter a customer number, e.g. 42."))
    try:
        communities.join(session, community_id, [int(raw)])
    except GuanxiError as exc:
        session.rollback()
        return _community(request, actor, session, community_id, customer_id=customer_id, error=exc.detail)
    session.commit()
    return _after_write(request, actor, session, community_id)


@router.post("/social/communities/{community_id}/members/{customer_id}/leave")
def leave_member(community_id: int, customer_id: int, request: Request, actor: Manager, session: SessionDep):
    communities.leave(session, community_id, customer_id)
    session.commit()
    return _after_write(request, actor, session, community_id)


@router.get("/social/creators")
def creators_page(request: Request, actor: Reader, session: SessionDep, platform: PlatformQuery = "",
                  offset: Offset = 0):
    rows, count = creators.creators(session, platform=platform or None, limit=PAGE, offset=offset)
    return render(request, "social_community/creators.html", {
        "items": [creators.report(session, r) for r in rows], "count": count, "platform": platform,
        "offset": offset, "page": PAGE}, fragment="social_community/_creators_table.html")


@sections.customer_section("communities", N_("Communities"), "social_community/_customer_communities.html",
                           perm=Perm.social_read, order=80)
def customer_communities(session, runtime, customer_id: int) -> dict:
    """The groups the person is in now, and the creator account linked to them, on the 360."""
    return {"groups": communities.groups_of(session, customer_id), "kinds": KINDS,
            "creators": creators.linked_to(session, customer_id)}
