"""Messages the service desk sends customers through the care domain's outbox (consent, quiet
hours, caps and retries are care's): progress updates on open tickets, and the news that an
improvement the customer's complaint led to is done."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.care import outbox
from guanxi.customers import profiles
from guanxi.privacy.crypto import PiiCipher
from guanxi.service.models import Ticket
from guanxi.service.status import DONE

PROGRESS = {
    "en": ("Your request #{id} is in progress", "We are still working on your request #{id} ({subject}). "
           "Its status: {status}. We will write again as soon as it is resolved."),
    "zh": ("您的工单 #{id} 正在处理中", "您的工单 #{id}（{subject}）仍在处理中，当前状态：{status}。处理完成后我们会第一时间通知您。"),
}
STATUS_WORDS = {"en": {"new": "received", "open": "in progress", "waiting": "waiting for your reply",
                       "on_hold": "on hold"},
                "zh": {"new": "已受理", "open": "处理中", "waiting": "等待您的回复", "on_hold": "暂缓处理"}}


def _lang(locale: str | None) -> str:
    return "zh" if (locale or "zh").startswith("zh") else "en"


def progress_updates(session: Session, cipher: PiiCipher, now: dt.datetime, every_hours: int, limit: int = 5000
                     ) -> list[int]:
    """One update per open ticket per `every_hours` since it was opened (the outbox key makes it once)."""
    period = dt.timedelta(hours=every_hours)
    rows = list(session.scalars(select(Ticket).where(Ticket.status.not_in(DONE), Ticket.customer_id.is_not(None),
                                                     Ticket.created_at <= now - period).limit(limit)))
    queued = []
    for t in rows:
        n = int((now - t.created_at) / period)
        locale = profiles.live_customer(session, t.customer_id).locale
        lang = _lang(locale)
        subject, body = PROGRESS[lang]
        status = STATUS_WORDS[lang].get(t.status, t.status)
        if outbox.enqueue(session, cipher, outbox.Draft(
                key=f"ticket-progress:{t.id}:{n}", customer_id=t.customer_id, channel="email", purpose="service",
                locale=locale or "zh-CN", subject=subject.format(id=t.id),
                body=body.format(id=t.id, subject=t.subject, status=status),
                expires_at=now + period)):
            queued.append(t.id)
    return queued


def improvement_done(session: Session, cipher: PiiCipher, action_id: int, title: str, customer_ids: list[int]) -> int:
    """Tell each complainant once that the improvement their complaint led to is done."""
    sent = 0
    for cid in sorted(set(customer_ids)):
        locale = profiles.live_customer(session, cid).locale
        zh = _lang(locale) == "zh"
        subject = "您的反馈我们已改进" if zh else "We acted on your feedback"
        body = (f"感谢您的反馈。我们已完成改进：{title}。" if zh else
                f"Thank you for telling us. We have made this improvement: {title}.")
        if outbox.enqueue(session, cipher, outbox.Draft(key=f"improvement:{action_id}:{cid}", customer_id=cid,
                                                        channel="email", purpose="service", locale=locale or "zh-CN",
                                                        subject=subject, body=body)):
            sent += 1
    return sent
