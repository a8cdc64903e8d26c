"""E-mail in the inbox: the customer's e-mail thread, and the headers that keep our replies in it.

The service desk's SMTP route (`service.inbound_mail`) hands over every message that does not
continue a ticket (`receive_mail`). It lands in the customer's e-mail thread — the one an earlier
reply of ours belongs to when the mail answers it (In-Reply-To/References), else the customer's
one e-mail thread. Idempotent on the Message-ID. Replies go out with In-Reply-To and References
naming the thread's mails, so the customer's answer comes back into the same thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from guanxi.conversations import attachments, threads
from guanxi.conversations.models import Conversation, ConversationMessage
from guanxi.conversations.settings import ConversationSettings, get_conversation_settings
from guanxi.privacy.crypto import PiiCipher

CHANNEL = "email"
SUBJECT_CONTEXT = "subject"   # the column name without _enc: what key rotation (privacy.rotation) tries
MAX_REFERENCES = 10   # mail clients keep the chain short too; the newest ids matter most


@dataclass(frozen=True)
class MailIn:
    customer_id: int
    address: str
    message_id: str | None
    subject: str
    body: str
    references: list[str] = field(default_factory=list)   # In-Reply-To and References, as <ids>
    attachments: list = field(default_factory=list)        # objects with filename, content_type, data


@dataclass(frozen=True)
class MailHeaders:
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]


def _answered_thread(session: Session, customer_id: int, refs: list[str]) -> Conversation | None:
    """The e-mail thread one of our replies (or an earlier mail) in `refs` belongs to, if it is this customer's."""
    if not refs:
        return None
    M = ConversationMessage
    hit = session.scalar(select(M).join(Conversation, Conversation.id == M.conversation_id).where(
        Conversation.channel == CHANNEL,
        or_(M.delivery_ref.in_(refs), M.dedupe_key.in_([f"{CHANNEL}:{r}" for r in refs]))).order_by(M.id.desc()).limit(1))
    if hit is None:
        return None
    conv = session.get(Conversation, hit.conversation_id)
    # A quoted Message-ID in someone else's mail does not let them write into this thread.
    return conv if conv.customer_id == customer_id else None


def receive_mail(session: Session, cipher: PiiCipher, mail: MailIn, cfg: ConversationSettings | None = None, *,
                 data_dir: Path | None = None, now: dt.datetime | None = None) -> threads.Received:
    """One customer e-mail into their inbox thread (the hand-over from the service desk's mail route)."""
    cfg = cfg or get_conversation_settings()
    conv = _answered_thread(session, mail.customer_id, mail.references) or threads.thread_for(
        session, cipher, CHANNEL, customer_id=mail.customer_id, address=mail.address, now=now)
    body = mail.body.strip() or mail.subject.strip() or "(empty message)"
    got = threads.receive(session, cipher, cfg, conv, body, external_id=mail.message_id, now=now)
    if not got.duplicate:
        got.message.subject_enc = cipher.encrypt(mail.subject[:300], context=SUBJECT_CONTEXT)
        if mail.attachments:
            store = attachments.store_at(data_dir)
            refused = [a.filename for a in mail.attachments
                       if not attachments.add_from_mail(session, cipher, store, got.message, a.filename, a.data)]
            if refused:   # the agent should know the customer sent more than they see
                threads.note(session, cipher, conv, "not kept (type or size): " + ", ".join(refused), "system")
    return got


def reply_headers(session: Session, cipher: PiiCipher, conv: Conversation) -> MailHeaders:
    """Subject, In-Reply-To and References for a reply on this e-mail thread."""
    M = ConversationMessage
    rows = list(session.scalars(select(M).where(M.conversation_id == conv.id, M.direction.in_(("in", "out")))
                                .order_by(M.id)))
    ids: list[str] = []
    subject = None
    last_in = None
    for m in rows:
        ref = None
        if m.direction == "in" and m.dedupe_key and m.dedupe_key.startswith(f"{CHANNEL}:"):
            ref = last_in = m.dedupe_key.split(":", 1)[1]
            if m.subject_enc:
                subject = cipher.decrypt(m.subject_enc, context=SUBJECT_CONTEXT)
        elif m.direction == "out" and m.delivery == "sent" and m.delivery_ref:
            ref = m.delivery_ref
        if ref and ref not in ids:
            ids.append(ref)
    subject = subject or "your message"
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return MailHeaders(subject, last_in or (ids[-1] if ids else None), tuple(ids[-MAX_REFERENCES:]))
