"""The scheduled report as an e-mail: an HTML table of the KPIs (with a plain-text part), in the shop's
locale and currency, sent with smtplib to GUANXI_SMTP_HOST:GUANXI_SMTP_PORT."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from markupsafe import Markup
from sqlalchemy.orm import Session

from guanxi.analytics import reports
from guanxi.analytics.kpi_tiles import kpi_value, tiles_for
from guanxi.analytics.scheduled_reports import Claimed
from guanxi.config import Settings
from guanxi.web.formatting import Formatter
from guanxi.web.i18n import Gettext
from guanxi.web.rendering import env

log = logging.getLogger(__name__)


def compose(session: Session, settings: Settings, claimed: Claimed) -> tuple[str, str, str]:
    """(subject, html, text) of one period's report."""
    locale, t = settings.default_locale, Gettext(settings.default_locale)
    fmt = Formatter(locale, settings.default_timezone)
    k = reports.kpi_report(session, settings, start=claimed.start, end=claimed.end, cohort_months=1)
    context = {"_": t.gettext, "fmt": fmt, "name": claimed.schedule.name, "period": claimed.period,
               "cur": k["current"], "prev": k["previous"], "currency": k["currency"],
               "tiles": tiles_for(claimed.schedule.kpis), "kpi_value": kpi_value, "locale": locale,
               "dates": [dt.date.fromisoformat(p[key]) for p in (k["current"], k["previous"]) for key in ("start", "end")]}
    html = env.get_template("analytics/report_email.html").render(context)
    text = env.get_template("analytics/report_email.txt").render(context)
    subject = t.plain("%(name)s: figures for %(period)s", name=claimed.schedule.name, period=claimed.period)
    return subject, html, Markup(text).unescape()


def send(settings: Settings, to: str, subject: str, html: str, text: str) -> bool:
    """One e-mail; False when it could not go out (logged, never raised: the period stays claimed)."""
    if not settings.smtp_host:
        log.warning("GUANXI_SMTP_HOST is not set; not sending the report %r", subject)
        return False
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "localhost")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send the report %r via %s:%s: %s", subject, settings.smtp_host, settings.smtp_port, exc)
        return False
    return True
