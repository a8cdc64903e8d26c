"""The live-chat widget's side: visitors (anonymous until they sign in), their messages and replies.

A visitor holds a random token (kept in the browser); only its keyed hash is stored. Their
chat is the livechat thread of the visitor, and on sign-in it joins the customer: it becomes the
customer's livechat thread, or its messages move into the one the customer already has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from guanxi.conversations import attachments, threads
from guanxi.conversations.models import ChatVisitor, Conversation, ConversationMessage
from guanxi.conversations.settings import ConversationSettings
from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.errors import Invalid, Unauthorized
from guanxi.privacy.crypto import PiiCipher

CHANNEL = "livechat"


def _hash(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), f"chat-visitor\x00{token}".encode(), hashlib.sha256).hexdigest()


def start(session: Session, secret: str, now: dt.datetime | None = None) -> tuple[ChatVisitor, str]:
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    visitor = ChatVisitor(token_hash=_hash(secret, token), created_at=now, last_seen_at=now)
    session.add(visitor)
    session.flush()
    return visitor, token


def visitor_for(session: Session, secret: str, token: str | None) -> ChatVisitor:
    visitor = session.scalar(select(ChatVisitor).where(ChatVisitor.token_hash == _hash(secret, token))) if token else None
    if visitor is None:
        raise Unauthorized("start a chat first (POST /api/v1/chat/visitors)")
    return visitor


def thread_of(session: Session, cipher: PiiCipher, visitor: ChatVisitor) -> Conversation:
    if visitor.customer_id is not None:
        return threads.thread_for(session, cipher, CHANNEL, customer_id=visitor.customer_id)
    return threads.thread_for(session, cipher, CHANNEL, visitor_id=visitor.id)


def send(session: Session, cipher: PiiCipher, cfg: ConversationSettings, visitor: ChatVisitor, text: str, *,
         client_id: str | None = None, now: dt.datetime | None = None) -> threads.Received:
    """The visitor writes; `client_id` (made by the widget per message) makes a resend harmless."""
    text = text.strip()
    if not text:
        raise Invalid("a message needs some text")
    if len(text) > cfg.chat_max_chars:
        raise Invalid(f"a message is at most {cfg.chat_max_chars} characters")
    visitor.last_seen_at = now or utcnow()
    conv = thread_of(session, cipher, visitor)
    return threads.receive(session, cipher, cfg, conv, text, now=now,
                           external_id=f"v{visitor.id}:{client_id}" if client_id else None,
                           author="visitor" if visitor.customer_id is None else "customer")


def send_file(session: Session, cipher: PiiCipher, store: attachments.Store, cfg: ConversationSettings,
              visitor: ChatVisitor, filename: str, data: bytes, *, client_id: str | None = None,
              now: dt.datetime | None = None) -> threads.Received:
    """The visitor sends a file (checked first: nothing is recorded for a refused one); a resend is harmless."""
    attachments.check(cfg, filename, data)
    visitor.last_seen_at = now or utcnow()
    got = threads.receive(session, cipher, cfg, thread_of(session, cipher, visitor), filename.strip()[:255], now=now,
                          external_id=f"v{visitor.id}:{client_id}" if client_id else None, kind="file",
                          author="visitor" if visitor.customer_id is None else "customer")
    if not got.duplicate:
        attachments.add(session, cipher, store, cfg, got.message, filename, data, now=now)
    return got


def identify(session: Session, cipher: PiiCipher, visitor: ChatVisitor, customer_id: int) -> Conversation | None:
    """The visitor signed in as this customer: their chat so far joins the customer's."""
    customer_id = profiles.live_customer(session, customer_id).id
    if visitor.customer_id == customer_id:
        return None
    anon = session.scalar(select(Conversation).where(Conversation.thread_key == f"{CHANNEL}:dm:v{visitor.id}"))
    visitor.customer_id = customer_id
    if anon is None:
        return None
    mine = session.scalar(select(Conversation).where(Conversation.thread_key == f"{CHANNEL}:dm:c{customer_id}"))
    if mine is None:
        anon.customer_id, anon.thread_key = customer_id, f"{CHANNEL}:dm:c{customer_id}"
        anon.vip = threads._is_vip(session, customer_id)
        return anon
    session.execute(update(ConversationMessage).where(ConversationMessage.conversation_id == anon.id)
                    .values(conversation_id=mine.id))
    attachments.move(session, anon.id, mine.id)
    mine.status, mine.updated_at = "open", utcnow()
    if anon.waiting_since and (mine.waiting_since is None or anon.waiting_since < mine.waiting_since):
        mine.waiting_since = anon.waiting_since
    session.delete(anon)
    return mine


def current_thread(session: Session, visitor: ChatVisitor) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.thread_key.in_(
        [f"{CHANNEL}:dm:v{visitor.id}", f"{CHANNEL}:dm:c{visitor.customer_id}"])).order_by(Conversation.id.desc()))


def updates(session: Session, cipher: PiiCipher, visitor: ChatVisitor, after_id: int = 0) -> list[dict]:
    """What the visitor sees: their messages and the shop's replies (never internal notes), after an id."""
    conv = current_thread(session, visitor)
    if conv is None:
        return []
    msgs = threads.messages_of(session, conv.id, include_internal=False, after_id=after_id)
    files = attachments.of_messages(session, [m.id for m in msgs])
    return [view(m, threads.body_of(cipher, m), [attachments.public(cipher, a) for a in files.get(m.id, [])])
            for m in msgs]


def view(msg: ConversationMessage, text: str, files: list[dict] | None = None) -> dict:
    """One message as the widget shows it."""
    return {"id": msg.id, "from": "visitor" if msg.direction == "in" else "shop", "text": text,
            "at": msg.created_at.isoformat(), "attachments": files or []}


def handover(session: Session, conv: Conversation, msg: ConversationMessage, text: str) -> tuple[list[dict], int] | None:
    """A text reply as the visitor's stream is handed it by the fan-out, with the visible message before it.

    Called in the reply's transaction (before the commit); a stream that has already sent that earlier
    message sends this one without reading the database. A reply with a file is not handed over: the
    stream reads it, attachments included."""
    if conv.channel != CHANNEL or msg.direction == "internal":
        return None
    prev = session.scalar(select(func.max(ConversationMessage.id)).where(
        ConversationMessage.conversation_id == conv.id, ConversationMessage.direction != "internal",
        ConversationMessage.id < msg.id))
    return [view(msg, text)], prev or 0
