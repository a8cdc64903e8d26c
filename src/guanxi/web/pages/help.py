"""The members' help centre: public knowledge-base articles, searchable, in zh-CN and en; no sign-in.
Agents send links to these pages from the reply box."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from guanxi.conversations import knowledge
from guanxi.conversations.models import KbArticle
from guanxi.deps import SessionDep
from guanxi.errors import NotFound
from guanxi.web.rendering import render, state_of

router = APIRouter()


@router.get("/help")
def help_home(request: Request, session: SessionDep, q: Annotated[str, Query(max_length=200)] = ""):
    locale = "zh-CN" if state_of(request).locale.startswith("zh") else "en"
    if q:
        found = [a for a, _ in knowledge.search(session, q, locale=locale, public_only=True, limit=20)]
    else:
        found = knowledge.listing(session, locale=locale, public_only=True)
    return render(request, "conversations/help.html", {"articles": found, "q": q, "article": None})


@router.get("/help/{locale}/{slug}")
def help_article(locale: Literal["zh-CN", "en"], slug: str, request: Request, session: SessionDep):
    article = session.scalar(select(KbArticle).where(KbArticle.slug == slug[:100], KbArticle.locale == locale,
                                                     KbArticle.public.is_(True)))
    if article is None:
        raise NotFound("no such help article")
    return render(request, "conversations/help.html", {"articles": [], "q": "", "article": article})
