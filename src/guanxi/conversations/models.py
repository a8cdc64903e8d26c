"""Tables of the conversations domain: threads and their messages, chat agents, live-chat visitors,
the knowledge base, canned replies and call-backs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from guanxi.db import Base, BigId, JsonType, UTCDateTime, utcnow


class ChatAgent(Base):
    """An agent as the inbox sees them: status, skills and how many chats at once."""

    __tablename__ = "conversation_agents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="offline")   # online | away | offline
    skills: Mapped[list] = mapped_column(JsonType, default=list)          # ["*"], ["pre_sales", "vip"], ...
    max_chats: Mapped[int] = mapped_column(Integer, default=5)
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DedicatedAgent(Base):
    """A VIP customer's own agent (专属客服)."""

    __tablename__ = "conversation_dedicated_agents"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("conversation_agents.id", ondelete="CASCADE"))


class ChatVisitor(Base):
    """A live-chat visitor: anonymous (a token in the browser) until they sign in."""

    __tablename__ = "conversation_visitors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    """One thread per customer (or anonymous visitor), channel and thread on that channel."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thread_key: Mapped[str] = mapped_column(String(300), unique=True)   # channel:thread:c<customer>|v<visitor>
    channel: Mapped[str] = mapped_column(String(20))
    thread: Mapped[str] = mapped_column(String(200), default="dm")       # dm | comment:<post id> | ...
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_visitors.id", ondelete="SET NULL"))
    # openid / platform user id / e-mail to reply to; `pii_context` tells key rotation what it was sealed with
    address_enc: Mapped[str | None] = mapped_column(Text, info={"pii_context": "conversation_address"})
    type: Mapped[str] = mapped_column(String(20), default="other")
    status: Mapped[str] = mapped_column(String(10), default="open")      # open | waiting | closed
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_agents.id", ondelete="SET NULL"),
                                                    index=True)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list] = mapped_column(JsonType, default=list)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # The service desk's ticket; no foreign key, so this branch of migrations need not follow the desk's.
    ticket_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)   # oldest unanswered customer message
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    away_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_conversations_status_updated", "status", "updated_at"),)


class ConversationMessage(Base):
    """In (from the customer), out (to the customer) or internal (a note or mention among staff).
    Bodies are personal data: encrypted at rest."""

    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10), default="text")        # text | call | away | event
    author: Mapped[str] = mapped_column(String(200))
    body_enc: Mapped[str | None] = mapped_column(Text, info={"pii_context": "conversation_message"})
    dedupe_key: Mapped[str | None] = mapped_column(String(250), unique=True)  # channel:platform message id
    mentions: Mapped[list] = mapped_column(JsonType, default=list)            # agent ids
    call_seconds: Mapped[int | None] = mapped_column(Integer)
    delivery: Mapped[str | None] = mapped_column(String(10))                  # pending | sent | failed
    delivery_ref: Mapped[str | None] = mapped_column(String(200))
    delivery_error: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)      # a sender is on it since
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Scored once when a customer's message arrives (social.sentiment), so pages never re-score.
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(10))     # positive | neutral | negative
    subject_enc: Mapped[str | None] = mapped_column(Text)                # an e-mail's subject (personal data)


class ConversationAttachment(Base):
    """A file sent in a conversation. The bytes live encrypted in the data dir (`storage_key`);
    the name is personal data too, so it is encrypted here."""

    __tablename__ = "conversation_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("conversation_messages.id", ondelete="CASCADE"), index=True)
    filename_enc: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)   # random file name under attachments/
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(10))                     # zh-CN | en
    category: Mapped[str] = mapped_column(String(40), default="general")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    ticket_after_count: Mapped[int] = mapped_column(Integer, default=0)  # sent, then the conversation became a ticket
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("slug", "locale"),)


class KbArticleVersion(Base):
    __tablename__ = "kb_article_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class KbPassageVector(Base):
    """A passage of an article (its title and a paragraph) as a sentence vector, made when the article is saved."""

    __tablename__ = "kb_passage_vectors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(60))      # vectors of another model are not compared
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, unit length

    __table_args__ = (UniqueConstraint("article_id", "position"),)


class ConversationAnswerVector(Base):
    """The question that a closed conversation settled, as a sentence vector (made on closing; erased with
    the customer's words)."""

    __tablename__ = "conversation_answer_vectors"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    model: Mapped[str] = mapped_column(String(60))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CannedReply(Base):
    __tablename__ = "conversation_canned_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("key", "locale"),)


class CallBack(Base):
    """A call the shop owes a customer: due date, script, outcome and the next date."""

    __tablename__ = "conversation_callbacks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(20))                 # vip | large_order | complaint | other
    script: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="due")  # due | done | cancelled
    outcome: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_agents.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
