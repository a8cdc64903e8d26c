"""Suggested answers for the customer's latest message: the nearest knowledge-base articles and answers
that settled similar questions before (closed conversations). Keywords (BM25 over Chinese bigrams and
English words) blended with meaning (sentence vectors, `embeddings.py`; the settled question's vector
is stored when the conversation closes); keywords alone without the model. The agent always decides
what is sent."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from guanxi.conversations import embeddings, knowledge, search_text, threads
from guanxi.conversations.models import Conversation, ConversationAnswerVector, ConversationMessage
from guanxi.db import utcnow
from guanxi.privacy.crypto import PiiCipher

PAST_CONVERSATIONS = 200


def latest_question(session: Session, cipher: PiiCipher, conv: Conversation) -> str:
    msg = session.scalar(select(ConversationMessage).where(
        ConversationMessage.conversation_id == conv.id, ConversationMessage.direction == "in",
        ConversationMessage.kind == "text").order_by(ConversationMessage.id.desc()).limit(1))
    return threads.body_of(cipher, msg) if msg else ""


def _pair(session: Session, cipher: PiiCipher, conversation_id: int) -> tuple[str, str] | None:
    """(question, answer): the first customer message of a conversation and the first agent answer."""
    msgs = threads.messages_of(session, conversation_id, include_internal=False)
    q = next((m for m in msgs if m.direction == "in" and m.kind == "text"), None)
    a = next((m for m in msgs if m.direction == "out" and m.kind == "text" and m.author != "system"), None)
    if q and a:
        question, answer = threads.body_of(cipher, q), threads.body_of(cipher, a)
        if question and answer:   # an erased conversation has neither
            return question, answer
    return None


def remember(session: Session, cipher: PiiCipher, conv: Conversation) -> None:
    """The conversation closed: store its settled question's vector (nothing to do without the model)."""
    session.execute(delete(ConversationAnswerVector).where(ConversationAnswerVector.conversation_id == conv.id))
    pair = _pair(session, cipher, conv.id) if conv.status == "closed" else None
    rows = embeddings.encode([pair[0]]) if pair else None
    if rows is not None:
        session.add(ConversationAnswerVector(conversation_id=conv.id, model=embeddings.MODEL,
                                             vector=embeddings.to_bytes(rows[0]), updated_at=utcnow()))


def _past_pairs(session: Session, cipher: PiiCipher, conv: Conversation) -> list[tuple[int, str, str]]:
    pairs = []
    closed = session.scalars(select(Conversation.id).where(Conversation.status == "closed", Conversation.id != conv.id)
                             .order_by(Conversation.updated_at.desc()).limit(PAST_CONVERSATIONS))
    for cid in closed:
        pair = _pair(session, cipher, cid)
        if pair:
            pairs.append((cid, *pair))
    return pairs


def _rank_pairs(session: Session, question: str, pairs: list[tuple[int, str, str]]) -> list[tuple[int, float]]:
    keyword = dict(search_text.rank(question, [q for _, q, _ in pairs]))
    asked = embeddings.encode([question]) if pairs else None
    if asked is None:
        return sorted(keyword.items(), key=lambda x: (-x[1], x[0]))
    stored = {row.conversation_id: embeddings.from_bytes(row.vector) for row in session.scalars(
        select(ConversationAnswerVector).where(ConversationAnswerVector.conversation_id.in_([c for c, _, _ in pairs]),
                                               ConversationAnswerVector.model == embeddings.MODEL))}
    # Closed before the model was there: embedded now (in one batch), stored when closed again.
    missing = [i for i, (cid, _, _) in enumerate(pairs) if cid not in stored]
    fresh = dict(zip(missing, embeddings.encode([pairs[i][1] for i in missing]))) if missing else {}
    cosine = {i: float((stored[cid] if cid in stored else fresh[i]) @ asked[0]) for i, (cid, _, _) in enumerate(pairs)}
    asked_in = embeddings.language(question)
    return embeddings.blend(keyword, cosine, len(pairs),
                            {i for i, (_, q, _) in enumerate(pairs) if embeddings.language(q) == asked_in})


def suggestions(session: Session, cipher: PiiCipher, conv: Conversation, *, limit: int = 3) -> dict:
    question = latest_question(session, cipher, conv)
    if not question:
        return {"question": "", "articles": [], "answers": []}
    articles = knowledge.search(session, question, limit=limit)
    pairs = _past_pairs(session, cipher, conv)
    ranked = _rank_pairs(session, question, pairs)[:limit]
    return {"question": question,
            "articles": [{"id": a.id, "title": a.title, "locale": a.locale, "slug": a.slug, "score": s,
                          "excerpt": knowledge.excerpt(a)} for a, s in articles],
            "answers": [{"question": pairs[i][1], "answer": pairs[i][2], "score": round(s, 3)} for i, s in ranked]}
