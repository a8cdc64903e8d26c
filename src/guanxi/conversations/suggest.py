"""Suggested answers for the customer's latest message: the nearest knowledge-base articles and answers
that settled similar questions before (closed conversations). Keyword ranking (BM25 over Chinese
bigrams and English words); the agent always decides what is sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.conversations import knowledge, search_text, threads
from guanxi.conversations.models import Conversation, ConversationMessage
from guanxi.privacy.crypto import PiiCipher

PAST_CONVERSATIONS = 200


def latest_question(session: Session, cipher: PiiCipher, conv: Conversation) -> str:
    msg = session.scalar(select(ConversationMessage).where(
        ConversationMessage.conversation_id == conv.id, ConversationMessage.direction == "in",
        ConversationMessage.kind == "text").order_by(ConversationMessage.id.desc()).limit(1))
    return threads.body_of(cipher, msg) if msg else ""


def _past_pairs(session: Session, cipher: PiiCipher, conv: Conversation) -> list[tuple[str, str]]:
    """(question, answer): the first customer message of a closed conversation and the first agent answer."""
    pairs = []
    closed = session.scalars(select(Conversation.id).where(Conversation.status == "closed", Conversation.id != conv.id)
                             .order_by(Conversation.updated_at.desc()).limit(PAST_CONVERSATIONS))
    for cid in closed:
        msgs = threads.messages_of(session, cid, include_internal=False)
        q = next((m for m in msgs if m.direction == "in" and m.kind == "text"), None)
        a = next((m for m in msgs if m.direction == "out" and m.kind == "text" and m.author != "system"), None)
        if q and a:
            pairs.append((threads.body_of(cipher, q), threads.body_of(cipher, a)))
    return pairs


def suggestions(session: Session, cipher: PiiCipher, conv: Conversation, *, limit: int = 3) -> dict:
    question = latest_question(session, cipher, conv)
    if not question:
        return {"question": "", "articles": [], "answers": []}
    articles = knowledge.search(session, question, limit=limit)
    pairs = _past_pairs(session, cipher, conv)
    ranked = search_text.rank(question, [q for q, _ in pairs])[:limit]
    return {"question": question,
            "articles": [{"id": a.id, "title": a.title, "locale": a.locale, "slug": a.slug, "score": s,
                          "excerpt": knowledge.excerpt(a)} for a, s in articles],
            "answers": [{"question": pairs[i][0], "answer": pairs[i][1], "score": round(s, 3)} for i, s in ranked]}
