"""The bulk recompute: read the purchase log once, score everyone, replace the derived tables.

Idempotent per period (a day): running it twice for the same day leaves the same rows, and
the month's segment snapshot is the last recompute of that month. Prospects (live customers
without a purchase) get a row with only their lifecycle stage, so segments can find them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from guanxi.analytics import churn, recommend
from guanxi.analytics.customer_traits import store_traits
from guanxi.analytics.lifecycle import Stage
from guanxi.analytics.models import CustomerScore, ItemPair, ItemStat, ScoreRun, SegmentSnapshot
from guanxi.analytics.scoring import ClvSettings, score_customers
from guanxi.config import Settings
from guanxi.customers import analytics_feed as feed
from guanxi.db import utcnow
from guanxi.money import exponent

CHUNK = 5000
RECENT_DAYS = 90  # "popular lately" for the popularity baseline
CHURN_HORIZON_DAYS = 90  # churn risk: no purchase within the next quarter


def today(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(ZoneInfo(settings.default_timezone)).date()


def clv_settings(settings: Settings) -> ClvSettings:
    return ClvSettings(horizon_months=settings.clv_horizon_months, annual_discount_rate=settings.clv_discount_rate,
                       margin=settings.clv_margin)


def recompute(session: Session, settings: Settings, *, as_of: dt.date | None = None,
              now: dt.datetime | None = None) -> dict:
    """Score every live customer as of ``as_of`` (default: today in the shop's time zone)."""
    now = now or utcnow()
    as_of = as_of or today(settings, now)
    currency = settings.default_currency
    ids, days, amounts = [], [], []
    for row in feed.purchases(session, timezone=settings.default_timezone, currency=currency):
        ids.append(row.customer_id)
        days.append(row.day)
        amounts.append(row.amount_minor)
    scores = score_customers(np.asarray(ids, dtype=np.int64), np.asarray(days, dtype="datetime64[D]"), amounts,
                             as_of=as_of, minor_per_major=10 ** exponent(currency),
                             rfm_window_days=settings.rfm_window_days, clv=clv_settings(settings))
    churn_check = _churn_check(ids, days, amounts, as_of)
    risk = churn_check.pop("risk", None)
    scores.summary["churn"] = churn_check
    period = as_of.isoformat()
    rows = list(_score_rows(scores, currency, period, now, risk))
    scored = {r["customer_id"] for r in rows}
    empty = dict.fromkeys(rows[0] if rows else CustomerScore.__table__.columns.keys())
    rows += [{**empty, "customer_id": cid, "lifecycle_stage": Stage.PROSPECT.value, "orders": 0,
              "window_orders": 0, "window_spend_minor": 0, "period": period, "computed_at": now}
             for cid in feed.live_customer_ids(session) if cid not in scored]
    _replace(session, CustomerScore, delete(CustomerScore), rows)

    month = as_of.strftime("%Y-%m")
    snapshot = [{"month": month, "customer_id": r["customer_id"], "segment": r["segment"]}
                for r in rows if r.get("segment")]
    _replace(session, SegmentSnapshot, delete(SegmentSnapshot).where(SegmentSnapshot.month == month), snapshot)

    items = _items(session, as_of, settings.default_timezone)
    traits = store_traits(session, settings.default_timezone, as_of, now, rows)
    stages: dict[str, int] = {}
    for r in rows:
        stages[r["lifecycle_stage"]] = stages.get(r["lifecycle_stage"], 0) + 1
    summary = {**scores.summary, "currency": currency, "prospects": len(rows) - len(scores),
               "stages": stages, "items": items, "traits": traits}
    session.execute(delete(ScoreRun).where(ScoreRun.period == period))
    session.add(ScoreRun(period=period, computed_at=now, summary=summary))
    session.flush()
    return {"period": period, "customers": len(rows), "scored": len(scores), **{k: summary[k] for k in (
        "stages", "items", "traits")}, "bgnbd": summary.get("bgnbd"), "gamma_gamma": summary.get("gamma_gamma"),
        "churn": {k: v for k, v in summary["churn"].items() if k != "weights"}}


def _churn_check(ids, days, amounts, as_of: dt.date) -> dict:
    """The out-of-time duel of P(alive) and the supervised model (see ``churn``)."""
    try:
        return churn.choose_model(ids, days, amounts, as_of=as_of, horizon_days=CHURN_HORIZON_DAYS)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"use_model": False, "reason": f"the check could not run: {exc}"}


def _score_rows(s, currency: str, period: str, now: dt.datetime, risk: dict | None = None):
    def opt(values, i, cast):
        return None if values is None else cast(values[i])

    for i, cid in enumerate(s.customer_ids):
        in_window = bool(s.r[i])
        yield {
            "customer_id": int(cid),
            "recency_score": int(s.r[i]) if in_window else None,
            "frequency_score": int(s.f[i]) if in_window else None,
            "monetary_score": int(s.m[i]) if in_window else None,
            "segment": s.segment[i],
            "recency_days": int(s.recency_days[i]),
            "orders": int(s.purchase_days[i]),
            "window_orders": int(s.frequency[i]),
            "window_spend_minor": int(s.monetary[i]),
            "p_alive": opt(s.p_alive, i, float),
            "expected_purchases": opt(s.expected_purchases, i, float),
            "clv_minor": opt(s.clv_minor, i, int),
            "currency": currency,
            "churn_risk": (float(risk[int(cid)]) if risk and int(cid) in risk
                           else None if s.p_alive is None else float(1.0 - s.p_alive[i])),
            "lifecycle_stage": str(s.stage[i]),
            "period": period,
            "computed_at": now,
        }


def _replace(session: Session, model, clear, rows: list[dict]) -> None:
    session.execute(clear)
    table = model.__table__
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start:start + CHUNK])


def _items(session: Session, as_of: dt.date, timezone: str) -> dict:
    """Rebuild product popularity and co-purchase pairs from every purchase up to ``as_of``."""
    tz = ZoneInfo(timezone)
    recent_from = as_of - dt.timedelta(days=RECENT_DAYS)
    customers, skus, categories, recent = [], [], [], []
    for line in feed.purchase_lines(session):
        day = line.placed_at.astimezone(tz).date()
        if day > as_of:
            continue
        customers.append(line.customer_id)
        skus.append(line.sku)
        categories.append(line.category)
        recent.append(day > recent_from)
    stats = recommend.popularity(customers, skus, categories, recent)
    pairs = recommend.item_pairs(customers, skus)
    _replace(session, ItemStat, delete(ItemStat),
             [{"sku": p.sku, "category": p.category, "buyers": p.buyers, "recent_buyers": p.recent_buyers}
              for p in stats])
    _replace(session, ItemPair, delete(ItemPair),
             [{"sku": p.sku, "other_sku": p.other_sku, "co_buyers": p.co_buyers, "lift": p.lift, "score": p.score}
              for p in pairs])
    return {"products": len(stats), "pairs": len(pairs)}
