"""Crises in the database: run detection for an hour, open (or extend) a crisis, open its ticket, keep its
timeline and status until a person closes it. Also: a ticket for each complaint mention."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.social import crisis
from guanxi.social.models import Crisis, CrisisEvent, Mention

STATUSES = ("open", "responding", "closed")
TRANSITIONS = {"open": {"responding", "closed"}, "responding": {"open", "closed"}, "closed": {"open"}}
HOUR = dt.timedelta(hours=1)


@dataclass
class HourRun:
    hour: dt.datetime
    signal: crisis.Signal | None
    crisis_id: int | None = None
    opened: bool = False


def _event(session: Session, crisis_id: int, kind: str, actor: str, *, hour: dt.datetime | None = None,
           at: dt.datetime | None = None, **details) -> bool:
    """Add an event; False when this (crisis, kind, hour) is already there (a re-run)."""
    try:
        with session.begin_nested():
            session.add(CrisisEvent(crisis_id=crisis_id, kind=kind, actor=actor, hour=hour, at=at or utcnow(),
                                    details=details))
            session.flush()
        return True
    except IntegrityError:
        return False


def open_crisis(session: Session) -> Crisis | None:
    return session.scalar(select(Crisis).where(Crisis.status != "closed").order_by(Crisis.id.desc()).limit(1))


def evaluate_hour(session: Session, hour: dt.datetime, *, baseline_hours: int = 168,
                  thresholds: crisis.Thresholds | None = None) -> crisis.Signal | None:
    hour = crisis.floor_hour(hour)
    start = hour - baseline_hours * HOUR
    rows = session.execute(select(Mention.posted_at, Mention.label, Mention.author_followers).where(
        Mention.posted_at >= start, Mention.posted_at < hour + HOUR, Mention.status == "visible",
        Mention.flag_state != "confirmed")).all()
    series = crisis.buckets(rows, start, hour + HOUR)
    negative = session.execute(select(Mention.text, Mention.label, Mention.author_followers).where(
        Mention.posted_at >= hour, Mention.posted_at < hour + HOUR, Mention.label == "negative",
        Mention.flag_state != "confirmed")).all()
    return crisis.detect(series[:-1], series[-1], [crisis.MentionSignal(t, lbl, f) for t, lbl, f in negative],
                         thresholds)


def run_hour(session: Session, hour: dt.datetime, *, baseline_hours: int = 168, now: dt.datetime | None = None,
             thresholds: crisis.Thresholds | None = None) -> HourRun:
    """Detect for one hour; a signal opens a crisis or joins the open one. Safe to run again for the same hour."""
    now = now or utcnow()
    hour = crisis.floor_hour(hour)
    signal = evaluate_hour(session, hour, baseline_hours=baseline_hours, thresholds=thresholds)
    run = HourRun(hour, signal)
    if signal is None:
        return run
    current = open_crisis(session)
    if current is None:
        current = Crisis(status="open", severity=signal.severity, reasons=signal.reasons, keywords=signal.keywords,
                         first_hour=hour, last_hour=hour, opened_at=now)
        session.add(current)
        session.flush()
        run.opened = True
    details = {k: v for k, v in signal.as_dict().items() if k != "hour"}
    added = _event(session, current.id, "signal", "system", hour=hour, at=now, **details)
    if added and not run.opened:
        current.last_hour = max(current.last_hour, hour)
        current.reasons = sorted({*current.reasons, *signal.reasons})
        merged = dict(current.keywords or {})
        for k, n in signal.keywords.items():
            merged[k] = merged.get(k, 0) + n
        current.keywords = merged
        if signal.severity == "high":
            current.severity = "high"
    run.crisis_id = current.id
    return run


def ensure_ticket(session: Session, c: Crisis, *, now: dt.datetime | None = None) -> int | None:
    """The crisis's ticket in the service desk (one per crisis: the service domain is idempotent on its key)."""
    if c.ticket_id is not None:
        return c.ticket_id
    try:
        from guanxi.service import tickets
        from guanxi.service.settings import get_service_settings
    except ImportError:
        return None
    words = ", ".join(f"{k}×{n}" for k, n in (c.keywords or {}).items()) or "-"
    body = (f"Social listening opened crisis #{c.id} ({c.severity}) at {c.first_hour.isoformat()}.\n"
            f"Reasons: {', '.join(c.reasons)}; alert keywords: {words}.\n舆情危机，请在危机页面查看时间线与热门帖子。")
    ticket, _ = tickets.create(session, get_service_settings(), tickets.TicketIn(
        subject=f"舆情危机 Social crisis #{c.id}", body=body, channel="social", source="social",
        external_id=f"crisis:{c.id}", importance="high", urgency="high", tags=["crisis", "social"], author="system",
    ), "system", now)
    c.ticket_id = ticket.id
    _event(session, c.id, "ticket_opened", "system", at=now, ticket_id=ticket.id)
    return ticket.id


def complaint_tickets(session: Session, mention_ids: list[int], *, now: dt.datetime | None = None) -> list[int]:
    """A ticket for each new mention that demands a refund, alleges a counterfeit or complains (idempotent)."""
    if not mention_ids:
        return []
    try:
        from guanxi.service import tickets
        from guanxi.service.settings import get_service_settings
    except ImportError:
        return []
    cfg = get_service_settings()
    out = []
    for m in session.scalars(select(Mention).where(Mention.id.in_(mention_ids), Mention.override.is_not(None),
                                                   Mention.kind != "live_comment")):
        ticket, _ = tickets.create(session, cfg, tickets.TicketIn(
            subject=f"[{m.platform}] {m.text[:80]}", body=f"{m.text}\n\n{m.url or ''}\n({m.platform} {m.kind} "
            f"{m.external_id}; flagged by: {m.override})", customer_id=m.customer_id, order_id=m.order_id,
            channel="social", source="social", external_id=f"mention:{m.id}", tags=["social", m.platform],
            author=m.author_ref or "social"), "system", now)
        out.append(ticket.id)
    return out


def get(session: Session, crisis_id: int) -> Crisis:
    c = session.get(Crisis, crisis_id)
    if c is None:
        raise NotFound(f"no crisis {crisis_id}")
    return c


def transition(session: Session, crisis_id: int, status: str, actor: str, note: str = "",
               *, now: dt.datetime | None = None) -> Crisis:
    c = get(session, crisis_id)
    if status not in STATUSES or status not in TRANSITIONS[c.status]:
        raise Invalid(f"a crisis that is {c.status} can become {', '.join(sorted(TRANSITIONS[c.status]))}",
                      errors=[{"loc": ["body", "status"], "msg": "not allowed from here"}])
    if status == "open" and c.status == "closed" and open_crisis(session) is not None:
        raise Invalid("another crisis is open; add to that one instead")
    now = now or utcnow()
    _event(session, c.id, "status_changed", actor, at=now, **{"from": c.status, "to": status, "note": note[:1000]})
    c.status = status
    if status == "closed":
        c.closed_at, c.closed_by, c.summary = now, actor, note or c.summary
    else:
        c.closed_at = c.closed_by = None
    return c


def note(session: Session, crisis_id: int, text: str, actor: str) -> None:
    get(session, crisis_id)
    _event(session, crisis_id, "note", actor, text=text[:2000])


def timeline(session: Session, crisis_id: int) -> list[CrisisEvent]:
    return list(session.scalars(select(CrisisEvent).where(CrisisEvent.crisis_id == crisis_id)
                                .order_by(CrisisEvent.at, CrisisEvent.id)))


def top_posts(session: Session, c: Crisis, limit: int = 10) -> list[Mention]:
    """Negative mentions of the crisis's hours, the widest-reaching first."""
    end = (c.closed_at or max(c.last_hour + HOUR, utcnow()))
    return list(session.scalars(select(Mention).where(
        Mention.label == "negative", Mention.posted_at >= c.first_hour - HOUR, Mention.posted_at < end)
        .order_by(Mention.author_followers.desc(), Mention.likes.desc(), Mention.id).limit(limit)))


def crises(session: Session, *, status: str | None = None, limit: int = 50) -> list[Crisis]:
    stmt = select(Crisis)
    if status:
        stmt = stmt.where(Crisis.status == status)
    return list(session.scalars(stmt.order_by(Crisis.id.desc()).limit(limit)))


def alert_sent(session: Session, crisis_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(CrisisEvent).where(
        CrisisEvent.crisis_id == crisis_id, CrisisEvent.kind == "alert_sent")))


RESPONSE_TEMPLATES = [
    {"key": "acknowledge", "title": "Acknowledge / 致歉回应",
     "zh": "关于近期用户反映的{问题}，我们高度重视，已第一时间成立专项小组核查，将在24小时内公布进展。给大家带来困扰，深表歉意。",
     "en": "We have seen the reports about {issue}. We take them seriously, a team is checking now, and we will share "
           "an update within 24 hours. We are sorry for the worry this has caused."},
    {"key": "authenticity", "title": "Authenticity / 正品说明",
     "zh": "本店所有商品均为品牌授权正品，可提供进货凭证与检测报告。如对所购商品有疑问，请联系客服，我们支持第三方鉴定，假一赔十。",
     "en": "Every product we sell is authorised stock; we can show purchase records and test reports. If you doubt an "
           "item, contact us: we support independent authentication and refund tenfold for any fake."},
    {"key": "safety", "title": "Safety / 安全问题",
     "zh": "我们已暂停该批次商品销售并启动检测。已购买的顾客可无条件退货退款，请联系客服登记。检测结果将第一时间公布。",
     "en": "We have stopped selling this batch and sent it for testing. Anyone who bought it can return it for a full "
           "refund; please contact us. We will publish the results as soon as we have them."},
    {"key": "resolved", "title": "Resolution / 处理结果",
     "zh": "经核查，{结论}。我们已{措施}，并对受影响的顾客逐一回访。感谢大家的监督。",
     "en": "Our review found {finding}. We have {action} and are contacting each affected customer. Thank you for "
           "holding us to account."},
]
