"""The knowledge base: articles in zh-CN and en with categories and versions, searched from the reply box.

Search blends keywords (BM25) with meaning: each passage of an article is stored as a sentence vector
when the article is saved (`embeddings.py`), and an article scores by its nearest passage. Without
the model, or for articles saved while it was away, keywords alone rank.

An article that is often sent but followed by a ticket is flagged for rewrite: it did not answer.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from guanxi.conversations import embeddings, search_text
from guanxi.conversations.models import KbArticle, KbArticleVersion, KbPassageVector
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound

LOCALES = ("zh-CN", "en")
REWRITE_MIN_SENT, REWRITE_TICKET_SHARE = 5, 0.3
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
PASSAGE_CHARS = 300   # a paragraph longer than this is cut at sentence ends
_SENTENCE_END = re.compile(r"(?<=[。！？!?.])\s*")


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
    index_passages(session, article)
    return article


def passages(article: KbArticle) -> list[str]:
    """The title with each paragraph (long ones cut at sentence ends), as they are embedded."""
    out = []
    for para in (p.strip() for p in re.split(r"\n\s*\n", article.body)):
        chunk = ""
        for sentence in (_SENTENCE_END.split(para) if len(para) > PASSAGE_CHARS else [para]):
            if chunk and len(chunk) + len(sentence) > PASSAGE_CHARS:
                out.append(chunk)
                chunk = ""
            chunk = f"{chunk} {sentence}".strip() if chunk and sentence.isascii() else chunk + sentence
        if chunk:
            out.append(chunk)
    return [f"{article.title}\n{p}" for p in out] or [article.title]


def index_passages(session: Session, article: KbArticle) -> None:
    """Store the article's passage vectors (replacing the old ones); nothing when no model is available."""
    session.execute(delete(KbPassageVector).where(KbPassageVector.article_id == article.id))
    rows = embeddings.encode(passages(article))
    if rows is None:
        return
    session.add_all([KbPassageVector(article_id=article.id, position=i, model=embeddings.MODEL,
                                     vector=embeddings.to_bytes(row)) for i, row in enumerate(rows)])


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
    keyword = dict(search_text.rank(query, [f"{a.title} {a.title} {a.category} {a.body}" for a in articles]))
    cosine = _cosines(session, query, articles)
    if cosine is None:
        ranked = sorted(keyword.items(), key=lambda x: (-x[1], x[0]))
    else:
        asked_in = embeddings.language(query)
        ranked = embeddings.blend(keyword, cosine, len(articles),
                                  {i for i, a in enumerate(articles) if a.locale == asked_in})
    return [(articles[i], round(score, 3)) for i, score in ranked[:limit]]


def _cosines(session: Session, query: str, articles: list[KbArticle]) -> dict[int, float] | None:
    """Index in `articles` → cosine of the question with the article's nearest passage; None without a model."""
    asked = embeddings.encode([query]) if articles else None
    if asked is None:
        return None
    ids = [a.id for a in articles]
    stored: dict[int, list] = {}
    for row in session.scalars(select(KbPassageVector).where(KbPassageVector.article_id.in_(ids),
                                                             KbPassageVector.model == embeddings.MODEL)):
        stored.setdefault(row.article_id, []).append(embeddings.from_bytes(row.vector))
    out = {}
    for i, article in enumerate(articles):
        vectors = stored.get(article.id)
        if vectors is None:   # saved while the model was away: embedded now, stored on its next save
            vectors = list(embeddings.encode(passages(article)))
        out[i] = float(max(v @ asked[0] for v in vectors))
    return out


def excerpt(article: KbArticle, chars: int = 160) -> str:
    text = " ".join(article.body.split())
    return text if len(text) <= chars else text[:chars].rstrip() + "…"


def mark_sent(session: Session, article_id: int) -> None:
    get(session, article_id).sent_count += 1


def needs_rewrite(article: KbArticle) -> bool:
    return (article.sent_count >= REWRITE_MIN_SENT
            and article.ticket_after_count / article.sent_count >= REWRITE_TICKET_SHARE)
