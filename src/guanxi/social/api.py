"""Social listening over HTTP: mentions in, dashboard, crises, review moderation and replies, the showcase."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from guanxi.db import utcnow
from guanxi.deps import RuntimeDep, SessionDep, SocialManager, SocialReader, SocialWriter
from guanxi.errors import Invalid
from guanxi.schemas import IdPath
from guanxi.social import aspects, connectors, crisis_store, dashboard, replies, reviews, sentiment
from guanxi.social import customer_hooks as _customer_hooks  # noqa: F401  (timeline, export, erasure, merge)
from guanxi.social.ingest import MentionIn
from guanxi.social.intake import take_in
from guanxi.social.models import Mention
from guanxi.social.schemas import (
    CrisisDetail, CrisisPublic, CrisisTransition, DetectionCreate, FlagReview, MentionPublic, MentionsCreate,
    MentionsCreated, MentionsPage, ModerationCreate, PollPublic, ReplyCreate, ScoreCreate, ScorePublic, ShowcaseItem,
    ShowcaseUpdate,
)
from guanxi.social.settings import SocialSettings, get_social_settings

router = APIRouter(prefix="/api/v1", tags=["social"])
SocialSettingsDep = Annotated[SocialSettings, Depends(get_social_settings)]


@router.post("/social/mentions", response_model=MentionsCreated)
def create_mentions(body: MentionsCreate, actor: SocialWriter, session: SessionDep, runtime: RuntimeDep,
                    social: SocialSettingsDep) -> MentionsCreated:
    items = [MentionIn(platform=m.platform, external_id=m.id, kind=m.kind, text=m.text, posted_at=m.posted_at,
                       author_ref=m.author.id, author_name=m.author.name, author_followers=m.author.followers,
                       author_since=m.author.since, product_sku=m.product_sku, order_id=m.order_id, rating=m.rating,
                       url=m.url, parent_id=m.parent_id, likes=m.likes, showcase=m.showcase) for m in body.mentions]
    done = take_in(session, runtime.cipher, items, social)
    session.commit()
    d = done.ingested
    return MentionsCreated(created=len(d.created), duplicates=d.duplicates, linked=d.linked, flagged=len(d.flagged),
                           tickets=len(done.tickets), ids=d.created)


@router.get("/social/mentions", response_model=MentionsPage)
def list_mentions(actor: SocialReader, session: SessionDep, platform: str | None = None, kind: str | None = None,
                  label: str | None = None, sku: str | None = None, flagged: bool = False,
                  limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10**6)) -> MentionsPage:
    stmt = select(Mention)
    for column, value in ((Mention.platform, platform), (Mention.kind, kind), (Mention.label, label),
                          (Mention.product_sku, sku)):
        if value:
            stmt = stmt.where(column == value)
    if flagged:
        stmt = stmt.where(Mention.flag_state == "flagged")
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Mention.posted_at.desc(), Mention.id.desc()).offset(offset).limit(limit))
    return MentionsPage(items=[MentionPublic.model_validate(m) for m in rows], count=count or 0)


@router.post("/social/scores", response_model=ScorePublic)
def score_text(body: ScoreCreate, actor: SocialReader) -> ScorePublic:
    ours, base = sentiment.score(body.text), sentiment.baseline(body.text)
    return ScorePublic(score=ours.score, label=ours.label, lang=ours.lang, override=ours.override,
                       aspects=aspects.aspects(body.text, ours.lang), baseline_score=base.score,
                       baseline_label=base.label)


@router.get("/social/dashboard")
def get_dashboard(actor: SocialReader, session: SessionDep, days: int = Query(30, ge=1, le=366),
                  platform: str | None = None, sku: str | None = None) -> dict:
    return dashboard.figures(session, days=days, platform=platform, sku=sku)


@router.post("/social/mentions/{mention_id}/moderation", response_model=MentionPublic)
def moderate(mention_id: IdPath, body: ModerationCreate, actor: SocialManager, session: SessionDep) -> MentionPublic:
    if body.action == "remove":
        m = reviews.remove(session, mention_id, body.reason or "", actor, body.note)
    else:
        m = reviews.restore(session, mention_id, actor)
    session.commit()
    return MentionPublic.model_validate(m)


@router.post("/social/mentions/{mention_id}/replies", response_model=MentionPublic)
def reply(mention_id: IdPath, body: ReplyCreate, actor: SocialManager, session: SessionDep, runtime: RuntimeDep,
          social: SocialSettingsDep) -> MentionPublic:
    """Store the reply and post it to the platform (`reply_status`: sent, pending — retried by a job — or failed)."""
    replies.compose(session, mention_id, body.text, actor)
    session.commit()
    replies.deliver(runtime.factory, social.connectors, mention_id)
    session.expire_all()
    return MentionPublic.model_validate(reviews.get(session, mention_id))


@router.put("/social/reviews/{mention_id}/showcase", response_model=MentionPublic)
def showcase_permission(mention_id: IdPath, body: ShowcaseUpdate, actor: SocialManager,
                        session: SessionDep) -> MentionPublic:
    m = reviews.set_showcase(session, mention_id, body.allowed, actor)
    session.commit()
    return MentionPublic.model_validate(m)


@router.post("/social/mentions/{mention_id}/flag-reviews", response_model=MentionPublic)
def review_flag(mention_id: IdPath, body: FlagReview, actor: SocialManager, session: SessionDep,
                social: SocialSettingsDep) -> MentionPublic:
    m = reviews.review_flag(session, mention_id, body.state, actor, review_points=social.review_points)
    session.commit()
    return MentionPublic.model_validate(m)


@router.get("/social/showcase", response_model=list[ShowcaseItem])
def public_showcase(session: SessionDep, runtime: RuntimeDep, sku: str | None = Query(None, max_length=100),
                    limit: int = Query(20, ge=1, le=100)) -> list[ShowcaseItem]:
    """Public: reviews whose authors allowed it, names masked. No sign-in."""
    return [ShowcaseItem(**r) for r in reviews.showcase(session, runtime.cipher, sku=sku, limit=limit)]


@router.get("/social/crises", response_model=list[CrisisPublic])
def list_crises(actor: SocialReader, session: SessionDep, status: str | None = None) -> list[CrisisPublic]:
    return [CrisisPublic.model_validate(c) for c in crisis_store.crises(session, status=status)]


def crisis_detail(session, crisis_id: int) -> CrisisDetail:
    c = crisis_store.get(session, crisis_id)
    return CrisisDetail(**CrisisPublic.model_validate(c).model_dump(),
                        timeline=crisis_store.timeline(session, c.id),
                        top_posts=[MentionPublic.model_validate(m) for m in crisis_store.top_posts(session, c)],
                        templates=crisis_store.RESPONSE_TEMPLATES)


@router.get("/social/crises/{crisis_id}", response_model=CrisisDetail)
def get_crisis(crisis_id: IdPath, actor: SocialReader, session: SessionDep) -> CrisisDetail:
    return crisis_detail(session, crisis_id)


@router.post("/social/crises/{crisis_id}/transitions", response_model=CrisisPublic)
def transition_crisis(crisis_id: IdPath, body: CrisisTransition, actor: SocialManager,
                      session: SessionDep) -> CrisisPublic:
    c = crisis_store.transition(session, crisis_id, body.status, actor.ref, body.note)
    session.commit()
    return CrisisPublic.model_validate(c)


@router.post("/social/crises/detections")
def run_detection(body: DetectionCreate, actor: SocialManager, runtime: RuntimeDep, social: SocialSettingsDep) -> dict:
    """Run the hourly detection for one hour now (the job does this every hour for the hour just past)."""
    from guanxi.social.jobs import detect_for_hour

    now = utcnow()
    if not now - dt.timedelta(days=366) <= body.hour <= now:
        raise Invalid("the hour must be within the last year, and past",
                      errors=[{"loc": ["body", "hour"], "msg": "within the last 366 days"}])
    return detect_for_hour(runtime.factory, runtime.settings, social, body.hour, now)


@router.post("/social/connectors/{platform}/polls", response_model=PollPublic)
def poll_now(platform: str, actor: SocialManager, runtime: RuntimeDep, social: SocialSettingsDep) -> PollPublic:
    if platform not in social.connectors:
        raise Invalid(f"no connector configured for {platform!r} (GUANXI_SOCIAL_CONNECTORS)")
    res = connectors.poll(runtime.factory, runtime.cipher, platform, social.connectors[platform],
                          on_new=lambda s, done: crisis_store.complaint_tickets(s, done.created))
    return PollPublic(platform=res.platform, fetched=res.fetched, created=res.created, cursor=res.cursor)
