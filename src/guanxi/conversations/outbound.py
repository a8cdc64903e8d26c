"""Send queued replies to their platforms, each once.

A reply is claimed row by row (a conditional UPDATE, with a lease so a crashed sender's claim
runs out), sent outside any transaction, then marked sent or failed. Retryable failures stay
pending for the next run; after MAX_ATTEMPTS they fail for good. Safe to run late, twice, or on
two workers at once: only the holder of a live claim sends, and a sent reply is never picked again.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from guanxi.care.channels import DeliveryError
from guanxi.conversations import email_threads, threads
from guanxi.conversations.adapters import Reply
from guanxi.conversations.models import Conversation, ConversationMessage
from guanxi.db import transaction, utcnow
from guanxi.privacy.crypto import PiiCipher
from guanxi.service import notify

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
LEASE = dt.timedelta(minutes=5)


def _claim(session: Session, message_id: int, now: dt.datetime) -> bool:
    M = ConversationMessage
    result = session.execute(update(M).where(M.id == message_id, M.delivery == "pending",
                                             or_(M.claimed_at.is_(None), M.claimed_at < now - LEASE))
                             .values(claimed_at=now, attempts=M.attempts + 1))
    return result.rowcount == 1


def _reply_of(session: Session, cipher: PiiCipher, msg: ConversationMessage) -> Reply:
    conv = session.get(Conversation, msg.conversation_id)
    to = threads.address_of(cipher, conv)
    if to is None and conv.channel == "email":
        to = notify.email_of(session, cipher, conv.customer_id)
    last_in = session.scalar(select(ConversationMessage.dedupe_key).where(
        ConversationMessage.conversation_id == conv.id, ConversationMessage.direction == "in",
        ConversationMessage.dedupe_key.is_not(None)).order_by(ConversationMessage.id.desc()).limit(1))
    if conv.channel == "email":
        mail = email_threads.reply_headers(session, cipher, conv)
        return Reply(msg.id, conv.channel, to, conv.thread, mail.in_reply_to, threads.body_of(cipher, msg),
                     subject=mail.subject, references=mail.references)
    return Reply(msg.id, conv.channel, to, conv.thread, last_in.split(":", 1)[1] if last_in else None,
                 threads.body_of(cipher, msg))


def deliver_pending(factory: sessionmaker[Session], cipher: PiiCipher, adapters: dict, *,
                    now: dt.datetime | None = None, limit: int = 200) -> dict:
    now = now or utcnow()
    sent = failed = retry = 0
    with factory() as session:
        ids = list(session.scalars(select(ConversationMessage.id).where(ConversationMessage.delivery == "pending")
                                   .order_by(ConversationMessage.id).limit(limit)))
    for message_id in ids:
        with transaction(factory) as session:
            if not _claim(session, message_id, now):
                continue
            msg = session.get(ConversationMessage, message_id)
            reply, attempts = _reply_of(session, cipher, msg), msg.attempts
        adapter = adapters.get(reply.channel)
        try:
            if adapter is None:
                raise DeliveryError(f"no adapter for {reply.channel}", retry=False)
            ref, outcome, error = adapter.send_reply(reply), "sent", None
        except DeliveryError as exc:
            final = not exc.retry or attempts >= MAX_ATTEMPTS
            ref, outcome, error = None, "failed" if final else "pending", str(exc)[:300]
            log.warning("reply %s on %s: %s", message_id, reply.channel, exc)
        with transaction(factory) as session:
            msg = session.get(ConversationMessage, message_id)
            msg.delivery, msg.delivery_ref, msg.delivery_error, msg.claimed_at = outcome, ref, error, None
        sent += outcome == "sent"
        failed += outcome == "failed"
        retry += outcome == "pending"
    return {"sent": sent, "failed": failed, "retry": retry}
