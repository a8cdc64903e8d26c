"""NPS on a schedule: every customer with orders gets the NPS survey at most once per
GUANXI_SERVICE_NPS_EVERY_DAYS, through the care outbox (consent, quiet hours and retries are care's)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.care import outbox
from guanxi.customers import profiles, service_feed
from guanxi.privacy.crypto import PiiCipher
from guanxi.service import surveys
from guanxi.service.models import Survey
from guanxi.service.settings import ServiceSettings

EPOCH = dt.date(2000, 1, 3)   # a Monday: periods are whole blocks of N days counted from here
TEXTS = {
    "en": ("How likely are you to recommend us?",
           "One question, one click: how likely are you to recommend us to a friend (0–10)?\n{link}\n"),
    "zh": ("您会向朋友推荐我们吗？", "只需一题：您有多大可能向朋友推荐我们（0–10 分）？\n{link}\n"),
}


def period_of(day: dt.date, every_days: int) -> int:
    return (day - EPOCH).days // every_days


def run(session: Session, cipher: PiiCipher, cfg: ServiceSettings, now: dt.datetime, limit: int = 5000) -> list[int]:
    """Queue the NPS survey for customers with orders who had none in the last N days; returns their ids.

    Keyed by (customer, period): running twice in one period sends once."""
    every = cfg.nps_every_days
    period = period_of(now.date(), every)
    recent = dict(session.execute(select(Survey.customer_id, func.max(Survey.sent_at))
                                  .where(Survey.kind == "nps", Survey.customer_id.is_not(None))
                                  .group_by(Survey.customer_id)).all())
    sent = []
    for cid in service_feed.customers_with_orders(session):
        if len(sent) >= limit:
            break
        last = recent.get(cid)
        if last is not None and now - last < dt.timedelta(days=every):
            continue
        if not outbox.consented(session, cid, "email", "service"):
            continue
        out = surveys.send(session, cfg, "nps", customer_id=cid, now=now, period_key=f"nps:{cid}:{every}:{period}")
        if out.token is None:
            continue
        locale = profiles.live_customer(session, cid).locale or "zh-CN"
        subject, body = TEXTS["zh" if locale.startswith("zh") else "en"]
        outbox.enqueue(session, cipher, outbox.Draft(
            key=f"nps-survey:{out.survey.id}", customer_id=cid, channel="email", purpose="service", locale=locale,
            subject=subject, body=body.format(link=out.link(cfg.public_url)), expires_at=out.survey.expires_at))
        sent.append(cid)
    return sent
