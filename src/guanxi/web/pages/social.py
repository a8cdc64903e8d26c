"""Social listening pages: the mentions dashboard, mentions with moderation and replies, crises (timeline,
top posts, response templates, status) and the public review showcase."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError
from guanxi.social import crisis_store, dashboard, replies, reviews
from guanxi.social.models import Mention
from guanxi.social.settings import SocialSettings, get_social_settings
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render

router = APIRouter()
menu.add("social", N_("Social"), "/social", Perm.social_read, order=35)
Reader = page_for(Perm.social_read)
Manager = page_for(Perm.social_manage)
Text = Annotated[str, Query(max_length=100)]
FormShort = Annotated[str, Form(max_length=100)]
FormText = Annotated[str, Form(max_length=2000)]

LABELS = {"positive": N_("Positive"), "neutral": N_("Neutral"), "negative": N_("Negative")}
REMOVAL = {"abuse": N_("Abuse or insults"), "illegal": N_("Illegal content"), "privacy": N_("Someone's personal data"),
           "spam": N_("Spam or advertising")}
CRISIS_STATUS = {"open": N_("Open"), "responding": N_("Responding"), "closed": N_("Closed")}
ASPECTS = {"logistics": N_("Logistics"), "quality": N_("Quality"), "service": N_("Service"), "price": N_("Price")}


@router.get("/social")
def social_dashboard(request: Request, actor: Reader, session: SessionDep, days: Annotated[int, Query(ge=1, le=366)] = 30,
                     platform: Text = "", sku: Text = ""):
    fig = dashboard.figures(session, days=days, platform=platform or None, sku=sku or None)
    peak = max([d["total"] for d in fig["trend"]] or [1])
    return render(request, "social/dashboard.html", {"f": fig, "peak": peak, "labels": LABELS, "aspect_names": ASPECTS,
                                                     "crises": crisis_store.crises(session, status=None, limit=5),
                                                     "status_names": CRISIS_STATUS},
                  fragment="social/_figures.html")


@router.get("/social/mentions")
def mentions_page(request: Request, actor: Reader, session: SessionDep, label: Text = "", platform: Text = "",
                  flagged: Text = "", offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    return _mentions(request, actor, session, label, platform, flagged, offset)


def _mentions(request: Request, actor, session, label: str = "", platform: str = "", flagged: str = "",
              offset: int = 0, error: str | None = None):
    stmt = select(Mention)
    if label:
        stmt = stmt.where(Mention.label == label)
    if platform:
        stmt = stmt.where(Mention.platform == platform)
    if flagged:
        stmt = stmt.where(Mention.flag_state == "flagged")
    rows = list(session.scalars(stmt.order_by(Mention.posted_at.desc(), Mention.id.desc()).offset(offset).limit(50)))
    hints = {m.id: reviews.suggest_removal(m.text) for m in rows}
    return render(request, "social/mentions.html", {
        "items": rows, "label": label, "platform": platform, "flagged": flagged, "offset": offset, "labels": LABELS,
        "removal": REMOVAL, "hints": hints, "can_manage": actor.can(Perm.social_manage), "error": error,
    }, fragment=None if error else "social/_mentions_table.html", status=422 if error else 200)


def _attempt(request: Request, session, to: str, action) -> object:
    """Run a moderation action: redirect back after it, or show the list with the reason it was refused."""
    try:
        action()
    except GuanxiError as exc:
        session.rollback()
        return _mentions(request, request.state.actor, session, error=exc.detail)
    session.commit()
    return RedirectResponse(to, status_code=303)


@router.post("/social/mentions/{mention_id}/remove")
def remove(mention_id: int, request: Request, actor: Manager, session: SessionDep, reason: FormShort = "",
           note: FormShort = ""):
    return _attempt(request, session, "/social/mentions", lambda: reviews.remove(session, mention_id, reason, actor, note))


@router.post("/social/mentions/{mention_id}/restore")
def restore(mention_id: int, request: Request, actor: Manager, session: SessionDep):
    return _attempt(request, session, "/social/mentions", lambda: reviews.restore(session, mention_id, actor))


@router.post("/social/mentions/{mention_id}/reply")
def reply(mention_id: int, request: Request, actor: Manager, session: SessionDep, runtime: RuntimeDep,
          social: Annotated[SocialSettings, Depends(get_social_settings)], text: FormText = ""):
    """Stored first, then posted to the platform; the list shows whether it went out."""
    answer = _attempt(request, session, "/social/mentions", lambda: replies.compose(session, mention_id, text, actor))
    if isinstance(answer, RedirectResponse):
        replies.deliver(runtime.factory, social.connectors, mention_id)
    return answer


@router.post("/social/mentions/{mention_id}/flag")
def review_flag(mention_id: int, request: Request, actor: Manager, session: SessionDep, state: FormShort = ""):
    return _attempt(request, session, "/social/mentions?flagged=1",
                    lambda: reviews.review_flag(session, mention_id, state, actor))


@router.get("/social/crises")
def crises_page(request: Request, actor: Reader, session: SessionDep):
    return render(request, "social/crises.html", {"items": crisis_store.crises(session), "status_names": CRISIS_STATUS})


def _crisis_context(session, crisis_id: int, **extra) -> dict:
    c = crisis_store.get(session, crisis_id)
    return {"c": c, "events": crisis_store.timeline(session, c.id), "posts": crisis_store.top_posts(session, c),
            "templates": crisis_store.RESPONSE_TEMPLATES, "status_names": CRISIS_STATUS,
            "moves": sorted(crisis_store.TRANSITIONS[c.status]), **extra}


@router.get("/social/crises/{crisis_id}")
def crisis_page(crisis_id: int, request: Request, actor: Reader, session: SessionDep):
    return render(request, "social/crisis.html", {**_crisis_context(session, crisis_id),
                                                  "can_manage": actor.can(Perm.social_manage)})


@router.post("/social/crises/{crisis_id}/status")
def crisis_status(crisis_id: int, request: Request, actor: Manager, session: SessionDep, status: FormShort = "",
                  note: FormText = ""):
    try:
        crisis_store.transition(session, crisis_id, status, actor.ref, note)
    except GuanxiError as exc:
        session.rollback()
        return render(request, "social/crisis.html", {**_crisis_context(session, crisis_id, error=exc.detail),
                                                      "can_manage": True}, status=422)
    session.commit()
    return RedirectResponse(f"/social/crises/{crisis_id}", status_code=303)


@router.get("/showcase")
def showcase_page(request: Request, session: SessionDep, runtime: RuntimeDep, sku: Text = "",
                  embed: Annotated[int, Query(ge=0, le=1)] = 0):
    """Public: reviews whose authors allowed it, names masked; `?embed=1` is the widget for the shop's own pages."""
    items = reviews.showcase(session, runtime.cipher, sku=sku or None, limit=20)
    return render(request, "social/showcase.html", {"items": items, "sku": sku, "embed": embed})
