"""The inbox's part in a customer's life: timeline, export, erasure and merges."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from guanxi.conversations.models import (CallBack, ChatVisitor, Conversation, ConversationAnswerVector, ConversationMessage,
                                          DedicatedAgent)
from guanxi.customers import hooks
from guanxi.customers.privacy_hooks import ERASED, person_ids
from guanxi.privacy.requests import cipher_of


@hooks.timeline("conversations")
def conversations_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    rows = session.scalars(select(Conversation).where(Conversation.customer_id == customer_id)
                           .order_by(Conversation.updated_at.desc()).limit(limit))
    return [{"at": c.updated_at, "kind": "conversation",
             "summary": f"{c.channel} conversation #{c.id} ({c.type}, {c.status})", "conversation_id": c.id}
            for c in rows]


@hooks.exporter("conversations")
def export_conversations(session: Session, customer_id: int) -> list[dict]:
    from guanxi.conversations import attachments
    from guanxi.conversations.threads import body_of

    ids = person_ids(session, customer_id)
    cipher = cipher_of(session)
    out = []
    for c in session.scalars(select(Conversation).where(Conversation.customer_id.in_(ids)).order_by(Conversation.id)):
        msgs = list(session.scalars(select(ConversationMessage).where(
            ConversationMessage.conversation_id == c.id, ConversationMessage.direction != "internal")
            .order_by(ConversationMessage.id)))
        files = attachments.of_messages(session, [m.id for m in msgs])
        out.append({"id": c.id, "channel": c.channel, "type": c.type, "status": c.status,
                    "created_at": c.created_at.isoformat(),
                    "messages": [{"at": m.created_at.isoformat(), "direction": m.direction, "kind": m.kind,
                                  "body": body_of(cipher, m), "call_seconds": m.call_seconds,
                                  "files": [attachments.public(cipher, a) for a in files.get(m.id, [])]}
                                 for m in msgs]})
    calls = session.scalars(select(CallBack).where(CallBack.customer_id.in_(ids)))
    out += [{"call_back": b.reason, "due_at": b.due_at.isoformat(), "status": b.status, "outcome": b.outcome}
            for b in calls]
    return out


@hooks.eraser("conversations")
def erase_conversations(session: Session, customer_id: int) -> None:
    """Keep the threads for the figures (channel, type, times); remove what was said and where to reach them."""
    from guanxi.conversations import attachments

    ids = person_ids(session, customer_id)
    conv_ids = select(Conversation.id).where(Conversation.customer_id.in_(ids))
    attachments.erase(session, list(session.scalars(conv_ids)))
    session.execute(update(ConversationMessage).where(ConversationMessage.conversation_id.in_(conv_ids))
                    .values(body_enc=None, subject_enc=None, author=ERASED, dedupe_key=None))
    # A settled question's vector is derived from the customer's words: it goes with them.
    session.execute(delete(ConversationAnswerVector).where(ConversationAnswerVector.conversation_id.in_(conv_ids)))
    session.execute(update(Conversation).where(Conversation.customer_id.in_(ids)).values(address_enc=None, tags=[]))
    session.execute(update(CallBack).where(CallBack.customer_id.in_(ids)).values(script="", outcome=None))
    session.execute(update(ChatVisitor).where(ChatVisitor.customer_id.in_(ids)).values(customer_id=None))
    session.execute(delete(DedicatedAgent).where(DedicatedAgent.customer_id.in_(ids)))


def _unmove(session: Session, moved: dict[str, list[int]], from_id: int) -> None:
    for cid in moved.get("conversations", []):
        c = session.get(Conversation, cid)
        c.customer_id = from_id
        c.thread_key = f"{c.channel}:{c.thread}:c{from_id}"[:300]
    if moved.get("conversation_callbacks"):
        session.execute(update(CallBack).where(CallBack.id.in_(moved["conversation_callbacks"]))
                        .values(customer_id=from_id))


@hooks.mover("conversations", _unmove)
def move_conversations(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    """The merged person's threads join the survivor; a thread the survivor already has on the same
    channel keeps its own key (two threads then, both in the survivor's timeline)."""
    moved = []
    taken = set(session.scalars(select(Conversation.thread_key).where(Conversation.customer_id == to_id)))
    for c in session.scalars(select(Conversation).where(Conversation.customer_id == from_id)).all():
        key = f"{c.channel}:{c.thread}:c{to_id}"[:300]
        c.thread_key = key if key not in taken else f"{key}:m{c.id}"[:300]
        c.customer_id = to_id
        moved.append(c.id)
    session.flush()
    calls = list(session.scalars(update(CallBack).where(CallBack.customer_id == from_id).values(customer_id=to_id)
                                 .returning(CallBack.id)))
    return {"conversations": moved, "conversation_callbacks": calls}
