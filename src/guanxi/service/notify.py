"""Mail the service desk sends the customer: agent replies and survey links (smtplib, GUANXI_SMTP_*).

The care domain will take this over (consent, quiet hours, templates); until then a reply goes
straight out when the shop has configured SMTP, and is only logged otherwise.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.orm import Session

from guanxi.config import Settings
from guanxi.customers import profiles
from guanxi.privacy.crypto import PiiCipher
from guanxi.service.models import Ticket

log = logging.getLogger(__name__)


def email_of(session: Session, cipher: PiiCipher, customer_id: int | None) -> str | None:
    if customer_id is None:
        return None
    return next((i["value"] for i in profiles.identities_of(session, cipher, customer_id) if i["kind"] == "email"), None)


def subject_for(ticket: Ticket) -> str:
    # The token lets a reply find its ticket even when the mail client drops In-Reply-To.
    return f"[#T-{ticket.mail_token}] {ticket.subject}"


def send(settings: Settings, to: str | None, subject: str, body: str, *, in_reply_to: str | None = None,
         references: tuple[str, ...] = ()) -> str | None:
    """Send one e-mail; returns its Message-ID, or None when it could not go out (logged, never raised)."""
    if not to:
        return None
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "localhost")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references or in_reply_to:
        msg["References"] = " ".join(references or (in_reply_to,))
    msg.set_content(body)
    if not settings.smtp_host:
        log.info("GUANXI_SMTP_HOST is not set; not sending %r", subject)
        return None
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send %r via %s:%s: %s", subject, settings.smtp_host, settings.smtp_port, exc)
        return None
    return msg["Message-ID"]


def survey_link(settings: Settings, to: str | None, ticket: Ticket, link: str) -> str | None:
    """The CSAT link of a resolved ticket, by e-mail (the same words as a ticket resolved on its own)."""
    return send(settings, to, f"How did we do? {subject_for(ticket)}",
                f"Your request #{ticket.id} is resolved. Tell us how we did (1–5):\n{link}\n")
