"""The sign-in code e-mail, sent with smtplib to GUANXI_SMTP_HOST:GUANXI_SMTP_PORT."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from guanxi.config import Settings
from guanxi.errors import GuanxiError
from guanxi.web.i18n import Gettext

log = logging.getLogger(__name__)


class MailUnavailable(GuanxiError):
    status = 503
    title = "E-mail unavailable"


def code_message(settings: Settings, to: str, code: str, minutes: int, locale: str) -> EmailMessage:
    t = Gettext(locale)
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = t.plain("Your sign-in code: %(code)s", code=code)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "localhost")
    msg.set_content("\n\n".join([
        t.plain("Your sign-in code for the member page is %(code)s.", code=code),
        t.plain("It works once and expires in %(minutes)s minutes.", minutes=minutes),
        t.plain("If you did not ask for it, ignore this e-mail: nobody can sign in without the code."),
    ]) + "\n")
    return msg


def send_code(settings: Settings, to: str, code: str, minutes: int, locale: str) -> None:
    if not settings.smtp_host:
        if settings.env == "development":
            # A shop trying Guanxi out has no mail server yet: the code goes to the server log.
            log.warning("GUANXI_SMTP_HOST is not set; sign-in code for the member page: %s", code)
            return
        raise MailUnavailable("sending e-mail is not configured (GUANXI_SMTP_HOST)")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(code_message(settings, to, code, minutes, locale))
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send a sign-in code via %s:%s: %s", settings.smtp_host, settings.smtp_port, exc)
        raise MailUnavailable("the code could not be sent just now; try again in a minute") from None
