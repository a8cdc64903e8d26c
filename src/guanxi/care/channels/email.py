"""E-mail over SMTP: one connection per drain, Message-ID from the idempotency key, one-click unsubscribe."""

from __future__ import annotations

import hashlib
import html
import smtplib
import socket
from email.message import EmailMessage
from email.utils import formatdate

from guanxi.care.channels import DeliveryError, Envelope


def message_id(idempotency_key: str, domain: str) -> str:
    # The same message keeps the same Message-ID on every attempt, so a resend after a crash is recognisable.
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpChannel:
    name = "email"

    def __init__(self, host: str | None, port: int, sender: str, *, timeout: float = 10.0):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            if not self.host:
                raise DeliveryError("no SMTP server configured (GUANXI_SMTP_HOST)", retry=True)
            try:
                self._smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            except (OSError, smtplib.SMTPException) as exc:
                raise DeliveryError(f"SMTP server unreachable: {exc}", retry=True) from None
        return self._smtp

    def compose(self, env: Envelope) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = env.to
        msg["Subject"] = env.subject or ""
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = message_id(env.idempotency_key, self.sender.rpartition("@")[2] or "guanxi")
        msg["X-Guanxi-Message"] = env.idempotency_key
        body = env.body
        if env.unsubscribe_url:
            msg["List-Unsubscribe"] = f"<{env.unsubscribe_url}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            footer = "退订 Unsubscribe" if env.locale == "zh-CN" else "Unsubscribe"
            body = f"{body}\n\n--\n{footer}: {env.unsubscribe_url}"
        msg.set_content(body)
        if env.extra.get("open_pixel"):
            # Opens can only be seen in HTML mail: the same text, plus a 1×1 image (tracking.py).
            text = html.escape(body)
            msg.add_alternative(f'<html><body><div style="white-space:pre-wrap">{text}</div>'
                                f'<img src="{html.escape(env.extra["open_pixel"])}" width="1" height="1" alt="">'
                                f"</body></html>", subtype="html")
        return msg

    def send(self, env: Envelope) -> str:
        if not env.to:
            raise DeliveryError("no e-mail address", retry=False, bounced=True)
        msg = self.compose(env)
        try:
            refused = self._connection().send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(f"recipient refused: {codes}", retry=all(400 <= c < 500 for c in codes),
                                bounced=any(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retry=exc.smtp_code < 500,
                                bounced=exc.smtp_code >= 550) from None
        except (OSError, socket.timeout, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"SMTP failed: {exc}", retry=True) from None
        if refused:
            raise DeliveryError(f"recipient refused: {refused}", retry=False, bounced=True)
        return msg["Message-ID"]

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None
