"""What the analytics API and pages read: segment counts and movements, scores, fits, KPIs, segments."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.analytics import domain_kpis, kpis, segment_rules
from guanxi.analytics.lifecycle import Stage
from guanxi.analytics.models import CustomerScore, CustomerTraits, SavedSegment, ScoreRun, SegmentMember, SegmentSnapshot
from guanxi.analytics.recompute import today
from guanxi.analytics.rfm import Segment, segment_movements
from guanxi.config import Settings
from guanxi.customers import analytics_feed as feed
from guanxi.errors import Conflict, NotFound
from guanxi.privacy.crypto import PiiCipher

S = CustomerScore
SCORE_COLUMNS = {
    "segment": S.segment, "lifecycle_stage": S.lifecycle_stage, "recency_score": S.recency_score,
    "frequency_score": S.frequency_score, "monetary_score": S.monetary_score, "recency_days": S.recency_days,
    "orders": S.orders, "window_orders": S.window_orders, "window_spend": S.window_spend_minor,
    "clv": S.clv_minor, "p_alive": S.p_alive, "churn_risk": S.churn_risk,
    "expected_purchases": S.expected_purchases,
}
T = CustomerTraits
TRAIT_COLUMNS = {
    "price_sensitivity": T.price_sensitivity, "discount_share": T.discount_share,
    "preferred_channel": T.preferred_channel, "preferred_hour": T.preferred_hour, "p_first_order": T.p_first_order,
    "expected_first_order": T.expected_first_order_minor, "growth_potential": T.growth_potential_minor,
    "growth_band": T.growth_band,
}
SCORE_FIELDS = ("recency_score", "frequency_score", "monetary_score", "segment", "recency_days", "orders",
                "window_orders", "window_spend_minor", "p_alive", "expected_purchases", "clv_minor", "currency",
                "churn_risk", "lifecycle_stage", "period", "computed_at")


def pseudonym(cipher: PiiCipher, customer_id: int) -> str:
    """A stable id that cannot be turned back into the customer id without the shop's key."""
    return "p_" + cipher.blind_index("analytics-pseudonym", str(customer_id))[:20]


def _month_before(month: str) -> str:
    year, mon = map(int, month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def rfm_report(session: Session, month: str | None = None) -> dict:
    """Segment counts in a month's snapshot (default: the latest) and the moves since the month before."""
    month = month or session.scalar(select(func.max(SegmentSnapshot.month)))
    if month is None:
        return {"month": None, "previous_month": None, "customers": 0, "segments": [], "movements": []}
    previous = _month_before(month)

    def snapshot(m: str) -> dict[int, Segment]:
        rows = session.execute(select(SegmentSnapshot.customer_id, SegmentSnapshot.segment)
                               .where(SegmentSnapshot.month == m))
        return {cid: Segment(seg) for cid, seg in rows}

    now, before = snapshot(month), snapshot(previous)
    counts = Counter(now.values())
    total = len(now)
    segments = [{"segment": s.value, "label_en": s.label_en, "label_zh": s.label_zh, "customers": counts[s],
                 "share": round(counts[s] / total, 4) if total else 0.0} for s in Segment]
    movements = []
    if before:
        moves = segment_movements(before, now)
        movements = sorted(({"from": a.value if a else None, "to": b.value if b else None, "customers": n}
                            for (a, b), n in moves.items()), key=lambda m: -m["customers"])
    return {"month": month, "previous_month": previous if before else None, "customers": total,
            "segments": segments, "movements": movements}


def customer_scores(session: Session, customer_id: int) -> dict:
    cid = feed.resolve_customer(session, customer_id)
    row = session.get(CustomerScore, cid)
    if row is None:
        raise NotFound(f"customer {cid} has no scores yet: run `guanxi analytics recompute` or wait for the daily job")
    data = {f: getattr(row, f) for f in SCORE_FIELDS}
    if row.segment:
        seg = Segment(row.segment)
        data["segment_label"] = {"en": seg.label_en, "zh": seg.label_zh}
    stage = Stage(row.lifecycle_stage)
    data["lifecycle_label"] = {"en": stage.label_en, "zh": stage.label_zh}
    return {"customer_id": cid, **data}


def latest_run(session: Session) -> ScoreRun:
    run = session.scalars(select(ScoreRun).order_by(ScoreRun.period.desc()).limit(1)).first()
    if run is None:
        raise NotFound("no scores computed yet: run `guanxi analytics recompute` or wait for the daily job")
    return run


def clv_report(session: Session) -> dict:
    run = latest_run(session)
    s = run.summary
    keys = ("customers", "repeaters", "currency", "as_of", "bgnbd", "gamma_gamma", "clv", "clv_settings",
            "lifecycle_thresholds", "stages", "prospects", "churn", "traits")
    return {"period": run.period, "computed_at": run.computed_at, **{k: s.get(k) for k in keys}}


def kpi_report(session: Session, settings: Settings, *, start: dt.date | None = None, end: dt.date | None = None,
               cohort_months: int = 12) -> dict:
    """KPIs for [start, end] against the period of the same length just before, plus months and cohorts."""
    end = end or today(settings)
    start = start or end - dt.timedelta(days=364)
    length = (end - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    prev_start = prev_end - dt.timedelta(days=length - 1)
    customers, days, amounts = [], [], []
    for row in feed.purchases(session, timezone=settings.default_timezone, currency=settings.default_currency):
        customers.append(row.customer_id)
        days.append(row.day)
        amounts.append(row.amount_minor)
    stages = dict(session.execute(select(S.lifecycle_stage, func.count()).group_by(S.lifecycle_stage)).all())

    def period(first: dt.date, last: dt.date) -> dict:
        new = kpis.new_customers(customers, days, start=first, end=last)
        return {**kpis.period_figures(customers, days, amounts, start=first, end=last),
                **domain_kpis.figures(session, settings, start=first, end=last, new_customers=new)}

    return {
        "currency": settings.default_currency,
        "point_value_minor": settings.point_value_minor,
        "current": period(start, end),
        "previous": period(prev_start, prev_end),
        "revenue_by_month": kpis.revenue_by_month(days, amounts, start=start, end=end),
        "cohorts": kpis.cohorts(customers, days, amounts, end=end, months=cohort_months),
        "customers_per_stage": {s.value: int(stages.get(s.value, 0)) for s in Stage},
    }


# Live segments -----------------------------------------------------------------------------

def filtered(rule: segment_rules.Rule):
    """SELECT customer_id FROM scores [JOIN profile columns] WHERE rule."""
    columns = dict(SCORE_COLUMNS)
    stmt = select(S.customer_id)
    used = segment_rules.fields_used(rule)
    if used & set(TRAIT_COLUMNS):  # an outer join: no traits row means empty fields (no condition matches)
        columns.update(TRAIT_COLUMNS)
        stmt = stmt.outerjoin(CustomerTraits, CustomerTraits.customer_id == S.customer_id)
    if used - set(SCORE_COLUMNS) - set(TRAIT_COLUMNS):
        profiles, profile_cols = feed.profile_columns()
        columns.update(profile_cols)
        stmt = stmt.join(profiles, profiles.c.customer_id == S.customer_id)
    return stmt.where(segment_rules.to_sql(rule, columns))


def members_of(row: SavedSegment) -> Select:
    """SELECT customer_id of a saved segment: its rule when dynamic, the stored snapshot when static."""
    if row.kind == "static":
        return select(SegmentMember.customer_id).where(SegmentMember.segment_id == row.id)
    return filtered(segment_rules.parse(row.rule))


def _selection(what: segment_rules.Rule | Select) -> Select:
    return what if isinstance(what, Select) else filtered(what)


def count_members(session: Session, what: segment_rules.Rule | Select) -> int:
    """One SQL count: what the rule builder asks on every edit."""
    return int(session.scalar(select(func.count()).select_from(_selection(what).subquery())))


def member_ids(session: Session, what: segment_rules.Rule | Select, *, limit: int = 100) -> list[int]:
    sel = _selection(what).subquery()
    return list(session.scalars(select(sel.c.customer_id).order_by(sel.c.customer_id).limit(limit)))


def create_segment(session: Session, name: str, rule_data: dict, created_by: str) -> SavedSegment:
    segment_rules.parse(rule_data)
    row = SavedSegment(name=name, rule=rule_data, created_by=created_by)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a segment named {name!r} exists already") from None
    return row


def list_segments(session: Session) -> list[tuple[SavedSegment, int]]:
    rows = session.scalars(select(SavedSegment).order_by(SavedSegment.id)).all()
    return [(row, count_members(session, members_of(row))) for row in rows]


def get_segment(session: Session, segment_id: int) -> SavedSegment:
    row = session.get(SavedSegment, segment_id)
    if row is None:
        raise NotFound(f"no segment {segment_id}")
    return row


EXPORT_FIELDS = ("segment", "lifecycle_stage", "recency_score", "frequency_score", "monetary_score", "orders",
                 "window_spend_minor", "clv_minor", "currency", "p_alive", "churn_risk", "expected_purchases")


def member_rows(session: Session, what: segment_rules.Rule | Select):
    """Each member's scores, for the CSV export, by customer id."""
    members = _selection(what).subquery()
    stmt = (select(S.customer_id, *(getattr(S, f) for f in EXPORT_FIELDS))
            .join(members, members.c.customer_id == S.customer_id).order_by(S.customer_id))
    yield from session.execute(stmt.execution_options(yield_per=5000))


def at_risk_list(session: Session, *, limit: int = 20) -> list[dict]:
    """The most valuable customers in the at-risk stage: who a win-back should reach first."""
    rows = session.execute(select(S.customer_id, S.segment, S.clv_minor, S.currency, S.churn_risk, S.recency_days)
                           .where(S.lifecycle_stage == Stage.AT_RISK.value, S.clv_minor.is_not(None))
                           .order_by(S.clv_minor.desc(), S.customer_id).limit(limit))
    return [dict(r._mapping) for r in rows]


def clv_histogram(session: Session, *, bins: int = 20) -> dict:
    """Customers per CLV band (equal widths from 0 to the 99th percentile; the last band holds the rest)."""
    values = np.fromiter(session.scalars(select(S.clv_minor).where(S.clv_minor.is_not(None))), dtype=np.float64)
    currency = session.scalar(select(S.currency).where(S.currency.is_not(None)).limit(1))
    if len(values) == 0:
        return {"currency": currency, "customers": 0, "edges_minor": [], "counts": []}
    top = max(float(np.quantile(values, 0.99)), float(values.min()) + 1.0)
    edges = np.linspace(min(0.0, float(values.min())), top, bins + 1)
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
    return {"currency": currency, "customers": int(len(values)), "edges_minor": [int(round(e)) for e in edges],
            "counts": [int(c) for c in counts]}


def rfm_grid(session: Session) -> list[dict]:
    """Customers per (recency score, frequency score) cell of the latest scores, with their mean monetary score."""
    rows = session.execute(select(S.recency_score, S.frequency_score, func.count(), func.avg(S.monetary_score))
                           .where(S.recency_score.is_not(None), S.frequency_score.is_not(None))
                           .group_by(S.recency_score, S.frequency_score))
    return [{"recency": int(r), "frequency": int(f), "customers": int(n), "monetary": round(float(m or 0), 2)}
            for r, f, n, m in rows]
