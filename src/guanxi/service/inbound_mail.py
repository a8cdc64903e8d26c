"""Inbound e-mail: an SMTP route (aiosmtpd) that continues tickets and hands other mail to the inbox.

A message continues a ticket when its subject carries the ticket's token (`[#T-…]`, which our
own replies put there) or its In-Reply-To/References name a message of the ticket. Any other
message (or one for a ticket closed longer ago than the reopen window) goes to the customer's
e-mail thread in the conversations inbox (`GUANXI_SERVICE_INBOUND_MAIL_TO=inbox`, the default),
or opens a new ticket (`=tickets`, the desk's behaviour before the inbox took e-mail).
The sender's address finds (or makes) the customer profile, so the person's data stays
encrypted and erasable. Delivery is idempotent on the Message-ID.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers import normalise, profiles
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import transaction, utcnow
from guanxi.errors import GuanxiError
from guanxi.privacy.crypto import PiiCipher
from guanxi.runtime import Runtime
from guanxi.service import status as machine, tickets
from guanxi.service.models import Ticket, TicketMessage
from guanxi.service.settings import ServiceSettings

log = logging.getLogger(__name__)
TOKEN = re.compile(r"\[#T-([0-9a-f]{10})\]")
_QUOTE = re.compile(r"^(>|On .+wrote:$|在.+写道：?$)")


@dataclass(frozen=True)
class Delivered:
    ticket_id: int | None
    created: bool       # a new ticket (or inbox thread message), not a reply on a ticket
    duplicate: bool = False
    conversation_id: int | None = None   # handed to the inbox instead of a ticket


def _text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    # Keep what the customer wrote, not the quoted history below it.
    lines = []
    for line in text.splitlines():
        if _QUOTE.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def _attachments(msg: EmailMessage, cfg: ServiceSettings) -> tuple[list[tickets.AttachmentIn], list[str]]:
    kept, skipped = [], []
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True) or b""
        name = part.get_filename() or "attachment"
        if part.get_content_type() in cfg.attachment_types and len(data) <= cfg.attachment_max_bytes:
            kept.append(tickets.AttachmentIn(name, part.get_content_type(), data))
        else:
            skipped.append(name)
    return kept, skipped


def _references(msg: EmailMessage) -> list[str]:
    refs = " ".join(str(msg.get(h, "")) for h in ("In-Reply-To", "References"))
    return re.findall(r"<[^<>]+>", refs)


def _ticket_for(session: Session, cfg: ServiceSettings, msg: EmailMessage, customer_id: int) -> Ticket | None:
    ticket = None
    match = TOKEN.search(str(msg.get("Subject", "")))
    if match:
        ticket = session.scalar(select(Ticket).where(Ticket.mail_token == match.group(1)))
    refs = _references(msg)
    if ticket is None and refs:
        ticket = session.scalar(select(Ticket).join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
                                .where(TicketMessage.external_id.in_(refs)).limit(1))
    if ticket is None or ticket.customer_id not in (customer_id, None):
        return None   # a token in someone else's mail does not let them write into that ticket
    if ticket.status == "closed" and machine.status_after_customer_reply(
            "closed", closed_at=ticket.closed_at, now=utcnow(), reopen_days=cfg.reopen_days) is None:
        return None
    return ticket


def _customer_for(session: Session, cipher: PiiCipher, address: str, name: str) -> int:
    person = PersonIn(identities=[IdentityKey("email", "", normalise.email(address))], name=name or None,
                      acquisition_channel="email")
    customer_id, _ = profiles.upsert_customer(session, cipher, person)
    return customer_id


def deliver(session: Session, cipher: PiiCipher, cfg: ServiceSettings, raw: bytes, *,
            data_dir: Path | None = None) -> Delivered:
    """One inbound e-mail into the desk (or the inbox); `data_dir` keeps files handed to the inbox."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = parseaddr(str(msg.get("From", "")))
    if not address:
        raise GuanxiError("the message has no sender")
    message_id = str(msg.get("Message-ID", "")).strip() or None
    if message_id:
        seen = session.scalar(select(TicketMessage.ticket_id).where(TicketMessage.external_id == message_id))
        if seen:
            return Delivered(seen, False, duplicate=True)
    customer_id = _customer_for(session, cipher, address, name)
    body = _text_of(msg)
    files, skipped = _attachments(msg, cfg)
    if skipped:
        body += "\n\n[not accepted: " + ", ".join(skipped) + "]"
    subject = TOKEN.sub("", str(msg.get("Subject", ""))).strip() or "(no subject)"
    ticket = _ticket_for(session, cfg, msg, customer_id)
    if ticket is not None:
        tickets.add_message(session, cfg, ticket, "in", "customer", body or "(empty message)", channel="email",
                            external_id=message_id, attachments=files)
        return Delivered(ticket.id, False)
    if cfg.inbound_mail_to == "inbox":
        return _to_inbox(session, cipher, msg, customer_id, address, message_id, subject, body, files, data_dir)
    ticket, created = tickets.create(session, cfg, tickets.TicketIn(
        subject=subject, body=body or subject, customer_id=customer_id, channel="email", source="email",
        external_id=message_id, message_id=message_id, attachments=files), "email")
    return Delivered(ticket.id, created, duplicate=not created)


def _to_inbox(session: Session, cipher: PiiCipher, msg: EmailMessage, customer_id: int, address: str,
              message_id: str | None, subject: str, body: str, files: list[tickets.AttachmentIn],
              data_dir: Path | None) -> Delivered:
    # Imported here: the inbox builds on the desk (hand-off, mail sending), so the desk must not need it to load.
    from guanxi.conversations import email_threads

    got = email_threads.receive_mail(session, cipher, email_threads.MailIn(
        customer_id=customer_id, address=normalise.email(address), message_id=message_id, subject=subject,
        body=body, references=_references(msg), attachments=files), data_dir=data_dir)
    return Delivered(None, not got.duplicate, duplicate=got.duplicate, conversation_id=got.conversation.id)


class InboundHandler:
    """aiosmtpd handler: every accepted message continues a ticket, opens one, or goes to the inbox."""

    def __init__(self, runtime: Runtime, cfg: ServiceSettings):
        self.runtime, self.cfg = runtime, cfg

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if len(raw) > self.cfg.mail_max_bytes:
            return "552 Message too large"
        try:
            result = await asyncio.to_thread(self._store, raw)
        except GuanxiError as exc:
            return f"550 {exc.detail}"
        except Exception:
            log.exception("inbound mail could not be stored")
            return "451 Try again later"
        if result.conversation_id is not None:
            log.info("inbound mail → conversation %s", result.conversation_id)
        else:
            log.info("inbound mail → ticket %s (%s)", result.ticket_id, "new" if result.created else "reply")
        return "250 OK"

    def _store(self, raw: bytes) -> Delivered:
        with transaction(self.runtime.factory) as session:
            return deliver(session, self.runtime.cipher, self.cfg, raw, data_dir=self.runtime.settings.data_dir)


def start_server(runtime: Runtime, cfg: ServiceSettings, *, host: str | None = None, port: int | None = None):
    """Start the SMTP route in a background thread; returns the aiosmtpd Controller (call .stop())."""
    from aiosmtpd.controller import Controller

    controller = Controller(InboundHandler(runtime, cfg), hostname=host or cfg.smtp_host,
                            port=cfg.smtp_port if port is None else port, data_size_limit=cfg.mail_max_bytes)
    controller.start()
    return controller
