"""E-mail over SMTP: one connection per drain, Message-ID from the idempotency key, one-click unsubscribe."""

from __future__ import annotations

import hashlib
import html
import smtplib
import socket
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate

from guanxi.care.channels import DeliveryError, Envelope


# An e-mail here is one text/plain part (unless it carries an open pixel), so it is written out directly: EmailMessage's header
# registry parses and folds every header and took most of the drain's time. Non-ASCII and long header
# values become RFC 2047 encoded words as before; the body is 8bit UTF-8 as EmailMessage.set_content
# sends it, or quoted-printable when a line is too long for SMTP.
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP
MAX_8BIT_LINE = 900  # bytes; SMTP allows 998
CRLF = "\r\n"


def _header(value: str) -> str:
    value = " ".join(value.splitlines())  # a line break in a value would end the header (injection)
    if value.isascii() and len(value) < MAX_8BIT_LINE:
        return value
    return Header(value, "utf-8").encode(linesep=CRLF)


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

    def _text(self, env: Envelope) -> str:
        body = env.body
        if env.unsubscribe_url:
            footer = "退订 Unsubscribe" if env.locale == "zh-CN" else "Unsubscribe"
            body = f"{body}\n\n--\n{footer}: {env.unsubscribe_url}"
        return body

    def _headers(self, env: Envelope) -> list[tuple[str, str]]:
        headers = [("From", self.sender), ("To", env.to or ""), ("Subject", env.subject or ""),
                   ("Date", formatdate(localtime=False)),
                   ("Message-ID", message_id(env.idempotency_key, self.sender.rpartition("@")[2] or "guanxi")),
                   ("X-Guanxi-Message", env.idempotency_key)]
        if env.unsubscribe_url:
            headers += [("List-Unsubscribe", f"<{env.unsubscribe_url}>"),
                        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
        return headers

    def compose(self, env: Envelope) -> EmailMessage:
        """The message as an EmailMessage: what `send` writes out, and the path for non-ASCII addresses."""
        msg = EmailMessage()
        for name, value in self._headers(env):
            msg[name] = value
        msg.set_content(self._text(env))
        if env.extra.get("open_pixel"):
            # Opens can only be seen in HTML mail: the same text, plus a 1×1 image (tracking.py).
            text = html.escape(self._text(env))
            msg.add_alternative(f'<html><body><div style="white-space:pre-wrap">{text}</div>'
                                f'<img src="{html.escape(env.extra["open_pixel"])}" width="1" height="1" alt="">'
                                f"</body></html>", subtype="html")
        return msg

    def wire(self, env: Envelope) -> tuple[bytes, str]:
        """(the message as SMTP DATA with CRLF line ends, its Message-ID)."""
        raw = self._text(env).encode()
        lines = raw.splitlines()
        if any(len(line) > MAX_8BIT_LINE for line in lines):
            encoded = UTF8_QP.body_encode(b"\n".join(lines).decode())
            body, cte = encoded.replace("\n", CRLF).encode(), "quoted-printable"
        else:
            body, cte = b"\r\n".join(lines), "8bit"
        headers = self._headers(env)
        mid = dict(headers)["Message-ID"]
        headers += [("Content-Type", 'text/plain; charset="utf-8"'), ("Content-Transfer-Encoding", cte),
                    ("MIME-Version", "1.0")]
        head = CRLF.join(f"{name}: {_header(value)}" for name, value in headers)
        return head.encode() + b"\r\n\r\n" + body + b"\r\n", mid

    def send(self, env: Envelope) -> str:
        if not env.to:
            raise DeliveryError("no e-mail address", retry=False, bounced=True)
        try:
            if self.sender.isascii() and env.to.isascii() and not env.extra.get("open_pixel"):
                data, mid = self.wire(env)
                refused = self._connection().sendmail(self.sender, [env.to], data)
            else:  # an internationalised address needs SMTPUTF8, which send_message negotiates; a pixel, HTML
                msg = self.compose(env)
                mid = msg["Message-ID"]
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
        return mid

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None
