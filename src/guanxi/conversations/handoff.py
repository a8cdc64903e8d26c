"""A conversation that needs follow-up becomes a service-desk ticket, and the ticket's answers go back
out on the customer's channel.

The ticket is made by the service domain (`tickets.create`), idempotent on the conversation, with
the conversation's transcript as its first message. Answers staff write on the ticket are copied
into the conversation once each (keyed by the ticket message) and sent by the usual reply run;
e-mail tickets are left alone, the desk mails those itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from guanxi.conversations import threads
from guanxi.conversations.models import Conversation, ConversationMessage, KbArticle
from guanxi.db import utcnow
from guanxi.errors import Invalid
from guanxi.privacy.crypto import PiiCipher
from guanxi.service import tickets
from guanxi.service.settings import ServiceSettings

CATEGORY_OF_TYPE = {"complaint": None, "after_sales": None, "order_status": "logistics"}


def transcript(session: Session, cipher: PiiCipher, conv: Conversation) -> str:
    lines = []
    for m in threads.messages_of(session, conv.id, include_internal=False):
        who = "customer" if m.direction == "in" else m.author
        extra = f" [call {m.call_seconds}s]" if m.kind == "call" else ""
        lines.append(f"[{m.created_at:%Y-%m-%d %H:%M} UTC] {who}{extra}: {threads.body_of(cipher, m)}")
    return "\n".join(lines)


def open_ticket(session: Session, cipher: PiiCipher, svc: ServiceSettings, conv: Conversation, actor: str, *,
                subject: str | None = None, now: dt.datetime | None = None):
    """The conversation's ticket (made on first call); returns (ticket, created)."""
    now = now or utcnow()
    if conv.customer_id is None:
        raise Invalid("an anonymous visitor's chat becomes a ticket once they sign in")
    body = transcript(session, cipher, conv) or "(no messages)"
    ticket, created = tickets.create(session, svc, tickets.TicketIn(
        subject=(subject or f"{conv.channel} conversation #{conv.id}")[:300], body=body,
        customer_id=conv.customer_id, order_id=conv.order_id, channel=conv.channel, source="conversation",
        external_id=f"conversation-{conv.id}", tags=list(conv.tags or [])[:20],
        importance="high" if conv.type == "complaint" else "medium", author="customer"), actor, now)
    if created:
        conv.ticket_id = ticket.id
        threads._event(session, cipher, conv, threads.ConversationEvent.ticket_opened, actor, now,
                       f"ticket #{ticket.id} opened")
        # Articles sent in this conversation did not settle it: count that against them.
        sent = select(ConversationMessage.article_id).where(ConversationMessage.conversation_id == conv.id,
                                                            ConversationMessage.article_id.is_not(None))
        session.execute(update(KbArticle).where(KbArticle.id.in_(sent))
                        .values(ticket_after_count=KbArticle.ticket_after_count + 1))
    return ticket, created


def relay_ticket_replies(session: Session, cipher: PiiCipher, *, now: dt.datetime | None = None) -> int:
    """Copy new staff answers on conversation tickets into their conversations (queued to send)."""
    now = now or utcnow()
    copied = 0
    convs = session.scalars(select(Conversation).where(Conversation.ticket_id.is_not(None),
                                                       Conversation.channel != "email"))
    for conv in convs:
        for m in tickets.messages(session, conv.ticket_id, include_notes=False):
            if m.direction != "out":
                continue
            key = f"ticket:{m.id}"
            if session.scalar(select(ConversationMessage.id).where(ConversationMessage.dedupe_key == key)):
                continue
            threads._add(session, cipher, conv, "out", m.author, m.body, dedupe_key=key, now=now,
                         delivery="sent" if conv.channel in ("livechat", "phone") else "pending")
            copied += 1
    return copied
