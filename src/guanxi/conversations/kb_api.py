"""The reply box's helpers over HTTP: knowledge base (and its public help pages), canned replies,
call-backs, and the inbox's figures (pre-sales conversion, reply times)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from guanxi.conversations import callbacks, canned, knowledge, reports
from guanxi.conversations.schemas import (
    ArticleHit, ArticlePublic, ArticleSave, CallBackCreate, CallBackOutcome, CallBackPublic, CannedPublic, CannedSave,
    Locale,
)
from guanxi.conversations.settings import ConversationSettings, get_conversation_settings
from guanxi.db import utcnow
from guanxi.deps import CurrentActor, SessionDep, allowed
from guanxi.errors import Forbidden, Invalid
from guanxi.schemas import IdPath, Timestamp
from guanxi.staff.roles import Actor, Perm

router = APIRouter(prefix="/api/v1", tags=["conversations"])
Agent = allowed(Perm.tickets_work)
SettingsDep = Annotated[ConversationSettings, Depends(get_conversation_settings)]


def _writer(actor: CurrentActor) -> Actor:
    # Agents and the content team both write articles.
    if not (actor.can(Perm.tickets_work) or actor.can(Perm.templates_write)):
        raise Forbidden(f"the {actor.role.value} role may not edit the knowledge base")
    return actor


Writer = Annotated[Actor, Depends(_writer)]


def _article(a) -> ArticlePublic:
    return ArticlePublic.model_validate(a).model_copy(update={"needs_rewrite": knowledge.needs_rewrite(a)})


def _hits(found, prefix: str) -> list[ArticleHit]:
    return [ArticleHit(id=a.id, slug=a.slug, locale=a.locale, title=a.title, excerpt=knowledge.excerpt(a),
                       score=score, url=f"{prefix}/{a.locale}/{a.slug}") for a, score in found]


@router.get("/kb/articles", response_model=list[ArticlePublic])
def list_articles(actor: Agent, session: SessionDep, locale: Locale | None = None,
                  category: Annotated[str | None, Query(max_length=40)] = None, needs_rewrite: bool = False):
    rows = [_article(a) for a in knowledge.listing(session, locale=locale, category=category)]
    return [a for a in rows if a.needs_rewrite] if needs_rewrite else rows


@router.get("/kb/search", response_model=list[ArticleHit])
def search_articles(actor: Agent, session: SessionDep, q: Annotated[str, Query(min_length=1, max_length=500)],
                    locale: Locale | None = None, limit: Annotated[int, Query(ge=1, le=50)] = 10):
    """For the reply box: the articles nearest to a question or keywords (Chinese or English)."""
    return _hits(knowledge.search(session, q, locale=locale, limit=limit), "/help")


@router.post("/kb/articles", response_model=ArticlePublic)
def save_article(body: ArticleSave, actor: Writer, session: SessionDep):
    """Create an article, or save a new version of (slug, locale); `expected_version` guards against lost edits."""
    article = knowledge.save(session, **body.model_dump(), actor=actor.ref)
    session.commit()
    return _article(article)


@router.get("/kb/articles/{article_id}", response_model=ArticlePublic)
def read_article(article_id: IdPath, actor: Agent, session: SessionDep):
    return _article(knowledge.get(session, article_id))


@router.get("/kb/articles/{article_id}/versions")
def article_versions(article_id: IdPath, actor: Agent, session: SessionDep) -> list[dict]:
    return [{"version": v.version, "title": v.title, "body": v.body, "updated_by": v.updated_by,
             "updated_at": v.updated_at} for v in knowledge.versions(session, article_id)]


@router.get("/help/articles", response_model=list[ArticleHit], tags=["help"])
def public_help(session: SessionDep, q: Annotated[str | None, Query(max_length=500)] = None,
                locale: Locale = "zh-CN"):
    """The members' help centre: public articles, searchable; no sign-in."""
    if q:
        found = knowledge.search(session, q, locale=locale, public_only=True, limit=20)
    else:
        found = [(a, 0.0) for a in knowledge.listing(session, locale=locale, public_only=True)]
    return _hits(found, "/help")


@router.get("/canned-replies", response_model=list[CannedPublic])
def find_canned(actor: Agent, session: SessionDep, q: Annotated[str | None, Query(max_length=200)] = None,
                locale: Locale | None = None):
    return canned.find(session, q, locale=locale)


@router.post("/canned-replies", response_model=CannedPublic)
def save_canned(body: CannedSave, actor: Writer, session: SessionDep):
    row = canned.save(session, body.key, body.locale, body.title, body.body)
    session.commit()
    return row


@router.get("/callbacks", response_model=list[CallBackPublic])
def due_callbacks(actor: Agent, session: SessionDep, agent_id: Annotated[int | None, Query(ge=1)] = None):
    """Call-backs due now, oldest first, each with its script."""
    return callbacks.due(session, utcnow(), agent_id=agent_id)


@router.post("/callbacks", response_model=CallBackPublic, status_code=201)
def schedule_callback(body: CallBackCreate, actor: Agent, session: SessionDep):
    row = callbacks.schedule(session, body.customer_id, body.reason, body.due_at, script=body.script,
                             conversation_id=body.conversation_id, agent_id=body.agent_id)
    session.commit()
    return row


@router.post("/callbacks/{callback_id}/outcome")
def record_callback(callback_id: IdPath, body: CallBackOutcome, actor: Agent, session: SessionDep) -> dict:
    done, follow = callbacks.record(session, callback_id, body.outcome, next_at=body.next_at)
    session.commit()
    return {"done": CallBackPublic.model_validate(done).model_dump(mode="json"),
            "next": CallBackPublic.model_validate(follow).model_dump(mode="json") if follow else None}


@router.get("/conversation-reports/presales-conversion")
def presales_conversion(actor: Agent, session: SessionDep, cfg: SettingsDep, since: Timestamp | None = None,
                        until: Timestamp | None = None, days: Annotated[int | None, Query(ge=1, le=90)] = None) -> dict:
    """Pre-sales conversations followed by an order within `days` (default GUANXI_CONVERSATIONS_PRESALES_DAYS)."""
    until = until or utcnow()
    since = since or until - dt.timedelta(days=30)
    if since >= until:
        raise Invalid("since is before until")
    return reports.presales_conversion(session, since=since, until=until, days=days or cfg.presales_days)


@router.get("/conversation-reports/reply-times")
def reply_times(actor: Agent, session: SessionDep, cfg: SettingsDep, since: Timestamp | None = None,
                until: Timestamp | None = None) -> dict:
    until = until or utcnow()
    since = since or until - dt.timedelta(days=7)
    return reports.reply_times(session, cfg, since=since, until=until)
