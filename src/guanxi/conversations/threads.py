"""Conversations: one thread per customer (or visitor), channel and thread; messages in, out and internal.

Every message body is encrypted at rest. A customer's message is idempotent on the platform's
message id; it opens (or reopens) the thread, starts the reply clock, is assigned at once and,
outside opening hours, answered once with the away message. A reply passes the banned-word
check and is queued for its channel (`outbound.deliver` sends it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.care.templates import banned_words
from guanxi.conversations import assignment, targets
from guanxi.conversations.models import ChatAgent, Conversation, ConversationMessage, DedicatedAgent
from guanxi.conversations.settings import ConversationSettings
from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.privacy.crypto import PiiCipher
from guanxi.service import quality
from guanxi.social import sentiment

CHANNELS = ("livechat", "wechat", "weibo_dm", "weibo_comment", "douyin_dm", "douyin_comment", "email", "phone")
TYPES = ("pre_sales", "order_status", "after_sales", "complaint", "other")
STATUSES = ("open", "waiting", "closed")
DIRECTIONS = ("in", "out", "internal")
VIP_TAGS = {"vip", "VIP", "svip"}
MAX_TAGS, MAX_TAG, MAX_BODY = 20, 40, 5000
BODY_CONTEXT = "conversation_message"


class ConversationEvent(StrEnum):
    assigned = "conversation_assigned"
    transferred = "conversation_transferred"
    mentioned = "agent_mentioned"
    closed = "conversation_closed"
    ticket_opened = "conversation_ticket_opened"
    away_sent = "away_message_sent"


@dataclass(frozen=True)
class Received:
    conversation: Conversation
    message: ConversationMessage
    duplicate: bool = False


def _key(channel: str, thread: str, customer_id: int | None, visitor_id: int | None) -> str:
    who = f"c{customer_id}" if customer_id is not None else f"v{visitor_id}"
    return f"{channel}:{thread}:{who}"[:300]


def get(session: Session, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conv


def _is_vip(session: Session, customer_id: int | None) -> bool:
    if customer_id is None:
        return False
    c = profiles.live_customer(session, customer_id)
    return bool(VIP_TAGS & set(c.tags or [])) or str((c.attributes or {}).get("tier", "")).lower() == "vip"


def thread_for(session: Session, cipher: PiiCipher, channel: str, *, customer_id: int | None = None,
               visitor_id: int | None = None, thread: str = "dm", address: str | None = None,
               now: dt.datetime | None = None) -> Conversation:
    """The thread of this customer (or anonymous visitor) on this channel, made on first contact."""
    if channel not in CHANNELS:
        raise Invalid(f"channel is one of {', '.join(CHANNELS)}")
    if customer_id is None and visitor_id is None:
        raise Invalid("a conversation belongs to a customer or a visitor")
    if customer_id is not None:
        customer_id = profiles.live_customer(session, customer_id).id
    key = _key(channel, thread, customer_id, visitor_id)
    conv = session.scalar(select(Conversation).where(Conversation.thread_key == key))
    if conv is None:
        now = now or utcnow()
        conv = Conversation(thread_key=key, channel=channel, thread=thread[:200], customer_id=customer_id,
                            visitor_id=visitor_id, vip=_is_vip(session, customer_id), status="open", tags=[],
                            type="other", created_at=now, updated_at=now,
                            address_enc=cipher.encrypt(address, context="conversation_address") if address else None)
        session.add(conv)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:   # the same first message arrived twice at once: the other one made it
            conv = session.scalar(select(Conversation).where(Conversation.thread_key == key))
            if conv is None:
                raise
    elif address and conv.address_enc is None:
        conv.address_enc = cipher.encrypt(address, context="conversation_address")
    return conv


def address_of(cipher: PiiCipher, conv: Conversation) -> str | None:
    return cipher.decrypt(conv.address_enc, context="conversation_address") if conv.address_enc else None


def _add(session: Session, cipher: PiiCipher, conv: Conversation, direction: str, author: str, body: str, *,
         kind: str = "text", dedupe_key: str | None = None, now: dt.datetime, **fields) -> ConversationMessage:
    if direction not in DIRECTIONS:
        raise Invalid(f"direction is one of {', '.join(DIRECTIONS)}")
    msg = ConversationMessage(conversation_id=conv.id, direction=direction, kind=kind, author=author[:200],
                              body_enc=cipher.encrypt(body, context=BODY_CONTEXT), dedupe_key=dedupe_key,
                              created_at=now, mentions=fields.pop("mentions", []), **fields)
    session.add(msg)
    conv.updated_at = now
    session.flush()
    return msg


def body_of(cipher: PiiCipher, msg: ConversationMessage) -> str:
    return cipher.decrypt(msg.body_enc, context=BODY_CONTEXT) or ""


def receive(session: Session, cipher: PiiCipher, cfg: ConversationSettings, conv: Conversation, body: str, *,
            external_id: str | None = None, author: str = "customer", kind: str = "text",
            now: dt.datetime | None = None) -> Received:
    """A customer's message. The same platform message id twice is recorded once."""
    now = now or utcnow()
    body = body.strip()
    if not body:
        raise Invalid("a message needs some text")
    dedupe = f"{conv.channel}:{external_id}"[:250] if external_id else None
    if dedupe:
        seen = session.scalar(select(ConversationMessage).where(ConversationMessage.dedupe_key == dedupe))
        if seen is not None:
            return Received(get(session, seen.conversation_id), seen, duplicate=True)
    try:
        with session.begin_nested():
            msg = _add(session, cipher, conv, "in", author, body[:MAX_BODY], kind=kind, dedupe_key=dedupe, now=now)
    except IntegrityError:   # a retry racing the first delivery
        seen = session.scalar(select(ConversationMessage).where(ConversationMessage.dedupe_key == dedupe))
        if seen is None:
            raise
        return Received(get(session, seen.conversation_id), seen, duplicate=True)
    if kind == "text":   # scored once, on arrival: the reply box reads it and never re-scores (a file has no mood)
        mood = sentiment.score(body[:MAX_BODY])
        msg.sentiment_score, msg.sentiment_label = mood.score, mood.label
    if conv.status != "open":
        conv.status, conv.closed_at = "open", None
    if conv.waiting_since is None:
        conv.waiting_since = now
    if conv.assignee_id is None:
        auto_assign(session, conv, now)
    schedule = cfg.schedule(now.date())
    if targets.needs_away_message(schedule, at=now, last_away_at=conv.away_sent_at):
        locale = "en"
        if conv.customer_id is not None:
            locale = profiles.live_customer(session, conv.customer_id).locale or "zh-CN"
        elif conv.channel != "livechat":
            locale = "zh-CN"
        _add(session, cipher, conv, "out", "system", cfg.away_message(locale), kind="away", now=now,
             delivery="pending" if conv.channel not in ("livechat", "phone") else "sent")
        conv.away_sent_at = now
    return Received(conv, msg)


def reply(session: Session, cipher: PiiCipher, conv: Conversation, body: str, author: str, *,
          article_id: int | None = None, kind: str = "text", now: dt.datetime | None = None) -> ConversationMessage:
    """An agent's answer, queued for the customer's channel (live chat and phone need no sending)."""
    now = now or utcnow()
    body = body.strip()
    if not body:
        raise Invalid("a reply needs some text")
    if len(body) > MAX_BODY:
        raise Invalid(f"a reply is at most {MAX_BODY} characters")
    found = banned_words(body)
    if found:
        raise Invalid(f"the reply uses words not allowed in messages to customers: {', '.join(found)}")
    quality.check_reply(body)   # the service desk's 质检: rude words never reach a customer on any channel
    delivery = "sent" if conv.channel in ("livechat", "phone") else "pending"
    msg = _add(session, cipher, conv, "out", author, body, kind=kind, now=now, delivery=delivery, article_id=article_id)
    if conv.first_response_at is None:
        conv.first_response_at = now
    conv.waiting_since = None
    if conv.status == "open":
        conv.status = "waiting"
    return msg


def note(session: Session, cipher: PiiCipher, conv: Conversation, body: str, author: str, *,
         mentions: list[int] = (), now: dt.datetime | None = None) -> ConversationMessage:
    """An internal note; mentioned agents see the conversation among their mentions."""
    now = now or utcnow()
    if not body.strip():
        raise Invalid("a note needs some text")
    known = set(session.scalars(select(ChatAgent.id).where(ChatAgent.id.in_(list(mentions))))) if mentions else set()
    missing = sorted(set(mentions) - known)
    if missing:
        raise Invalid(f"no agent {', '.join(map(str, missing))}")
    return _add(session, cipher, conv, "internal", author, body.strip()[:MAX_BODY], now=now,
                mentions=sorted(known))


def log_call(session: Session, cipher: PiiCipher, conv: Conversation, *, direction: str, seconds: int, notes: str,
             author: str, external_id: str | None = None, now: dt.datetime | None = None) -> Received:
    """A phone call, logged by staff or the call centre: duration and notes (idempotent on the call id)."""
    now = now or utcnow()
    if seconds < 0 or seconds > 24 * 3600:
        raise Invalid("a call lasts 0 to 86400 seconds")
    dedupe = f"phone:{external_id}"[:250] if external_id else None
    if dedupe:
        seen = session.scalar(select(ConversationMessage).where(ConversationMessage.dedupe_key == dedupe))
        if seen is not None:
            return Received(conv, seen, duplicate=True)
    msg = _add(session, cipher, conv, "in" if direction == "in" else "out", author, notes.strip()[:MAX_BODY] or "-",
               kind="call", dedupe_key=dedupe, now=now, call_seconds=seconds, delivery="sent")
    if msg.direction == "out" and conv.first_response_at is None:
        conv.first_response_at = now
    return Received(conv, msg)


def _event(session: Session, cipher: PiiCipher, conv: Conversation, kind: str, author: str, now: dt.datetime,
           text: str) -> None:
    _add(session, cipher, conv, "internal", author, text, kind="event", now=now)


def agent_states(session: Session) -> list[assignment.AgentState]:
    loads = dict(session.execute(select(Conversation.assignee_id, func.count(Conversation.id))
                                 .where(Conversation.status != "closed", Conversation.assignee_id.is_not(None))
                                 .group_by(Conversation.assignee_id)).all())
    return [assignment.AgentState(a.id, a.status, frozenset(a.skills or []), loads.get(a.id, 0), a.max_chats,
                                  a.last_assigned_at) for a in session.scalars(select(ChatAgent).order_by(ChatAgent.id))]


def auto_assign(session: Session, conv: Conversation, now: dt.datetime | None = None) -> assignment.Choice:
    now = now or utcnow()
    dedicated = session.get(DedicatedAgent, conv.customer_id) if conv.customer_id is not None else None
    need = assignment.Need(skill=conv.type if conv.type != "other" else None, vip=conv.vip,
                           dedicated_agent_id=dedicated.agent_id if dedicated else None)
    choice = assignment.choose(agent_states(session), need)
    if choice.agent_id is not None:
        conv.assignee_id = choice.agent_id
        session.get(ChatAgent, choice.agent_id).last_assigned_at = now
    return choice


def transfer(session: Session, cipher: PiiCipher, conv: Conversation, agent_id: int | None, actor: str, *,
             reason: str = "", now: dt.datetime | None = None) -> Conversation:
    now = now or utcnow()
    if agent_id is not None and session.get(ChatAgent, agent_id) is None:
        raise NotFound(f"no agent {agent_id}")
    before = conv.assignee_id
    conv.assignee_id = agent_id
    if agent_id is not None:
        session.get(ChatAgent, agent_id).last_assigned_at = now
    _event(session, cipher, conv, ConversationEvent.transferred, actor, now,
           f"transferred from agent {before} to agent {agent_id}" + (f": {reason}" if reason else ""))
    return conv


def update(session: Session, conv: Conversation, fields: dict, *, now: dt.datetime | None = None) -> Conversation:
    """Type, status, tags and the order the conversation is about."""
    now = now or utcnow()
    if "type" in fields:
        if fields["type"] not in TYPES:
            raise Invalid(f"type is one of {', '.join(TYPES)}")
        conv.type = fields["type"]
    if "status" in fields:
        if fields["status"] not in STATUSES:
            raise Invalid(f"status is one of {', '.join(STATUSES)}")
        conv.status = fields["status"]
        conv.closed_at = now if conv.status == "closed" else None
        if conv.status == "closed":
            conv.waiting_since = None
    if "tags" in fields:
        tags = list(dict.fromkeys(t.strip() for t in fields["tags"] if t.strip()))
        if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
            raise Invalid(f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters")
        conv.tags = tags
    if "order_id" in fields:
        order_id = fields["order_id"]
        if order_id is not None and not _order_is_customers(session, conv.customer_id, order_id):
            raise Invalid(f"order {order_id} is not this customer's")
        conv.order_id = order_id
    conv.updated_at = now
    return conv


def _order_is_customers(session: Session, customer_id: int | None, order_id: int) -> bool:
    if customer_id is None:
        return False
    return any(e.get("order_id") == order_id and e["kind"] == "order"
               for e in profiles.timeline(session, customer_id, limit=500))


def messages_of(session: Session, conversation_id: int, *, include_internal: bool = True,
                after_id: int = 0) -> list[ConversationMessage]:
    stmt = select(ConversationMessage).where(ConversationMessage.conversation_id == conversation_id,
                                             ConversationMessage.id > after_id)
    if not include_internal:
        stmt = stmt.where(ConversationMessage.direction != "internal")
    return list(session.scalars(stmt.order_by(ConversationMessage.id)))


def last_message_id(session: Session, conversation_id: int) -> int:
    return session.scalar(select(func.max(ConversationMessage.id))
                          .where(ConversationMessage.conversation_id == conversation_id)) or 0


def inbox(session: Session, *, status: list[str] | None = None, channel: str | None = None, type: str | None = None,
          assignee_id: int | None = None, unassigned: bool = False, customer_id: int | None = None,
          tag: str | None = None, mentioning: int | None = None, offset: int = 0, limit: int = 50) -> list[Conversation]:
    """Longest-waiting first, then the most recently active."""
    stmt = select(Conversation)
    if status:
        stmt = stmt.where(Conversation.status.in_(status))
    for column, value in ((Conversation.channel, channel), (Conversation.type, type),
                          (Conversation.assignee_id, assignee_id), (Conversation.customer_id, customer_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if unassigned:
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if mentioning is not None:
        ids = {m.conversation_id for m in session.scalars(select(ConversationMessage).where(
            ConversationMessage.direction == "internal", ConversationMessage.kind == "text"))
            if mentioning in (m.mentions or [])}
        stmt = stmt.where(Conversation.id.in_(ids))
    stmt = stmt.order_by(Conversation.waiting_since.is_(None), Conversation.waiting_since,
                         Conversation.updated_at.desc(), Conversation.id)
    rows = list(session.scalars(stmt.offset(offset).limit(limit if not tag else 1000)))
    if tag:   # tags are JSON: filtered here, as the service desk does
        rows = [c for c in rows if tag in (c.tags or [])][:limit]
    return rows
