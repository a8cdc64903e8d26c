"""The knowledge base: articles in zh-CN and en with categories and versions, searched from the reply box.

An article that is often sent but followed by a ticket is flagged for rewrite: it did not answer.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.conversations import search_text
from guanxi.conversations.models import KbArticle, KbArticleVersion
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound

LOCALES = ("zh-CN", "en")
REWRITE_MIN_SENT, REWRITE_TICKET_SHARE = 5, 0.3
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def get(session: Session, article_id: int) -> KbArticle:
    article = session.get(KbArticle, article_id)
    if article is None:
        raise NotFound(f"no article {article_id}")
    return article


def _check(slug: str, locale: str, title: str, body: str) -> None:
    if not _SLUG.match(slug):
        raise Invalid("a slug is lower-case letters, digits and dashes")
    if locale not in LOCALES:
        raise Invalid(f"locale is one of {', '.join(LOCALES)}")
    if not title.strip() or not body.strip():
        raise Invalid("an article needs a title and a body")


def save(session: Session, *, slug: str, locale: str, title: str, body: str, category: str = "general",
         public: bool = True, actor: str, expected_version: int | None = None,
         now: dt.datetime | None = None) -> KbArticle:
    """Create, or edit as a new version (refused when someone else saved since `expected_version`)."""
    now = now or utcnow()
    _check(slug, locale, title, body)
    article = session.scalar(select(KbArticle).where(KbArticle.slug == slug, KbArticle.locale == locale))
    if article is None:
        article = KbArticle(slug=slug, locale=locale, title=title.strip(), body=body.strip(), category=category[:40],
                            public=public, version=1, updated_by=actor[:200], updated_at=now, sent_count=0,
                            ticket_after_count=0)
        session.add(article)
    else:
        if expected_version is not None and expected_version != article.version:
            raise Conflict(f"the article is at version {article.version} now; reload and edit again")
        article.title, article.body, article.category, article.public = title.strip(), body.strip(), category[:40], public
        article.version += 1
        article.updated_by, article.updated_at = actor[:200], now
    session.flush()
    session.add(KbArticleVersion(article_id=article.id, version=article.version, title=article.title,
                                 body=article.body, updated_by=actor[:200], updated_at=now))
    return article


def versions(session: Session, article_id: int) -> list[KbArticleVersion]:
    return list(session.scalars(select(KbArticleVersion).where(KbArticleVersion.article_id == article_id)
                                .order_by(KbArticleVersion.version)))


def listing(session: Session, *, locale: str | None = None, category: str | None = None,
            public_only: bool = False) -> list[KbArticle]:
    stmt = select(KbArticle)
    if locale:
        stmt = stmt.where(KbArticle.locale == locale)
    if category:
        stmt = stmt.where(KbArticle.category == category)
    if public_only:
        stmt = stmt.where(KbArticle.public.is_(True))
    return list(session.scalars(stmt.order_by(KbArticle.category, KbArticle.title)))


def search(session: Session, query: str, *, locale: str | None = None, public_only: bool = False,
           limit: int = 10) -> list[tuple[KbArticle, float]]:
    """Best matches for a question or keywords, in Chinese or English (title words count twice)."""
    articles = listing(session, locale=locale, public_only=public_only)
    ranked = search_text.rank(query, [f"{a.title} {a.title} {a.category} {a.body}" for a in articles])
    return [(articles[i], round(score, 3)) for i, score in ranked[:limit]]


def excerpt(article: KbArticle, chars: int = 160) -> str:
    text = " ".join(article.body.split())
    return text if len(text) <= chars else text[:chars].rstrip() + "…"


def mark_sent(session: Session, article_id: int) -> None:
    get(session, article_id).sent_count += 1


def needs_rewrite(article: KbArticle) -> bool:
    return (article.sent_count >= REWRITE_MIN_SENT
            and article.ticket_after_count / article.sent_count >= REWRITE_TICKET_SHARE)
