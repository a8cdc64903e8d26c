"""The bulk recompute: read the purchase log once, score everyone, replace the derived tables.

``recompute(models=False)`` is the fast path (RFM, segments, lifecycle, snapshot: about a minute for
1,000,000 customers and 10,000,000 orders, see bench/analytics.py); the default also fits BG/NBD and
Gamma-Gamma and rebuilds CLV, churn risk, traits and product pairs. ``recompute_and_sync`` then
brings dynamic segment membership up to date; the CLI and the daily job call it.

Idempotent per period (a day): running it twice for the same day leaves the same rows, and
the month's segment snapshot is the last recompute of that month. Prospects (live customers
without a purchase) get a row with only their lifecycle stage, so segments can find them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from guanxi.analytics import churn, recommend
from guanxi.analytics.customer_traits import store_traits
from guanxi.analytics.lifecycle import Stage
from guanxi.analytics.models import CustomerScore, ItemPair, ItemStat, ScoreRun, SegmentSnapshot
from guanxi.analytics.scoring import ClvSettings, score_customers
from guanxi.config import Settings
from guanxi.customers import analytics_feed as feed
from guanxi.db import bulk_insert, utcnow
from guanxi.money import exponent
from guanxi.service import reports as service_reports

CHUNK = 5000
RECENT_DAYS = 90  # "popular lately" for the popularity baseline
CHURN_HORIZON_DAYS = 90  # churn risk: no purchase within the next quarter


def today(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(ZoneInfo(settings.default_timezone)).date()


def clv_settings(settings: Settings) -> ClvSettings:
    return ClvSettings(horizon_months=settings.clv_horizon_months, annual_discount_rate=settings.clv_discount_rate,
                       margin=settings.clv_margin)


MODEL_COLUMNS = ("p_alive", "expected_purchases", "clv_minor", "churn_risk")
MODEL_SUMMARY = ("bgnbd", "gamma_gamma", "repeaters", "clv", "churn", "items", "traits", "clv_settings")


def recompute(session: Session, settings: Settings, *, as_of: dt.date | None = None,
              now: dt.datetime | None = None, models: bool = True) -> dict:
    """Score every live customer as of ``as_of`` (default: today in the shop's time zone).

    The purchase log is read once as arrays (``feed.purchase_log``) and the rows are written through
    the driver (``bulk_insert``). With ``models`` false only RFM, segments, lifecycle stages and the
    month's snapshot are recomputed; P(alive), CLV and churn risk, the traits and the product pairs
    stay as the last full recompute left them (``models_as_of`` in the run's summary says when).
    """
    now = now or utcnow()
    as_of = as_of or today(settings, now)
    currency = settings.default_currency
    period = as_of.isoformat()
    live = np.asarray(feed.live_customer_ids(session), dtype=np.int64)
    log = feed.purchase_log(session, timezone=settings.default_timezone, currency=currency, live_ids=live)
    scores = score_customers(log.customer_ids, log.days, log.amount_minor, as_of=as_of,
                             minor_per_major=10 ** exponent(currency), rfm_window_days=settings.rfm_window_days,
                             clv=clv_settings(settings), models=models)
    previous = session.scalars(select(ScoreRun).order_by(ScoreRun.period.desc()).limit(1)).first()
    if models:
        churn_check = _churn_check(log.customer_ids, log.days, log.amount_minor, as_of,
                                   side=churn_side_features(session, settings.default_timezone))
        risk = churn_check.pop("risk", None)
        scores.summary["churn"] = churn_check
        model_values = _model_columns(scores, risk)
        carried = {"models_as_of": period}
    else:
        model_values = _previous_model_columns(session, scores.customer_ids)
        prev = previous.summary if previous else {}
        carried = {**{k: prev[k] for k in MODEL_SUMMARY if k in prev}, "models_as_of": prev.get("models_as_of")}
    del log
    columns = _score_columns(scores, live, currency, model_values)
    session.execute(delete(CustomerScore))
    bulk_insert(session, CustomerScore.__table__, columns, {"period": period, "computed_at": now})

    month = as_of.strftime("%Y-%m")
    scored = np.flatnonzero(scores.segment != None)  # noqa: E711 (element-wise)
    session.execute(delete(SegmentSnapshot).where(SegmentSnapshot.month == month))
    bulk_insert(session, SegmentSnapshot.__table__, {"customer_id": scores.customer_ids[scored].tolist(),
                                                     "segment": scores.segment[scored].tolist()}, {"month": month})
    stage_names, stage_counts = np.unique(np.asarray(columns["lifecycle_stage"], dtype=str), return_counts=True)
    stages = {str(k): int(v) for k, v in zip(stage_names, stage_counts)}
    summary = {**carried, **scores.summary, "currency": currency, "prospects": len(columns["customer_id"]) - len(scores),
               "stages": stages, "models": models}
    if models:
        summary["items"] = _items(session, as_of, settings.default_timezone)
        rows = [{"customer_id": c, "lifecycle_stage": s, "clv_minor": v} for c, s, v in
                zip(columns["customer_id"], columns["lifecycle_stage"], columns["clv_minor"])]
        summary["traits"] = store_traits(session, settings.default_timezone, as_of, now, rows)
    session.execute(delete(ScoreRun).where(ScoreRun.period == period))
    session.add(ScoreRun(period=period, computed_at=now, summary=summary))
    session.flush()
    return {"period": period, "customers": len(columns["customer_id"]), "scored": len(scores), "models": models,
            **{k: summary.get(k) for k in ("stages", "items", "traits", "bgnbd", "gamma_gamma", "models_as_of")},
            "churn": {k: v for k, v in (summary.get("churn") or {}).items() if k != "weights"}}


def recompute_and_sync(session: Session, settings: Settings, *, as_of: dt.date | None = None,
                       now: dt.datetime | None = None, models: bool = True) -> dict:
    """``recompute``, then every dynamic segment brought up to date with the new scores (entries and exits)."""
    from guanxi.analytics import membership  # membership -> reports -> recompute: imported when used

    now = now or utcnow()
    result = recompute(session, settings, as_of=as_of, now=now, models=models)
    return {**result, "segment_changes": membership.rebuild(session, now=now)}


def churn_side_features(session: Session, timezone: str) -> churn.SideFeatures:
    """The churn model's service and engagement features as of a cutoff day, read from the two domains."""
    def side(cutoff: dt.date, customer_ids: np.ndarray) -> dict[str, np.ndarray]:
        return {**service_reports.customer_service_features(session, customer_ids, as_of=cutoff, timezone=timezone),
                **feed.engagement_counts(session, customer_ids, as_of=cutoff, timezone=timezone)}
    return side


def _churn_check(ids, days, amounts, as_of: dt.date, *, side: churn.SideFeatures | None = None) -> dict:
    """The out-of-time duel of P(alive) and the supervised model (see ``churn``)."""
    try:
        return churn.choose_model(ids, days, amounts, as_of=as_of, horizon_days=CHURN_HORIZON_DAYS, side=side)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"use_model": False, "reason": f"the check could not run: {exc}"}


def _nullable(values: np.ndarray | None, present: np.ndarray | None, n: int, cast) -> list:
    """A list of Python values (``cast``) with None where ``present`` is false or ``values`` is None."""
    if values is None:
        return [None] * n
    out = np.asarray(values).astype(cast).astype(object)
    if present is not None:
        out[~present] = None
    return out.tolist()


def _model_columns(s, risk: dict | None) -> dict[str, list]:
    n = len(s)
    if risk:
        churn_risk = [float(risk[c]) if c in risk else None for c in s.customer_ids.tolist()]
        if s.p_alive is not None:
            churn_risk = [1.0 - p if r is None else r for r, p in zip(churn_risk, s.p_alive.tolist())]
    else:
        churn_risk = _nullable(None if s.p_alive is None else 1.0 - s.p_alive, None, n, float)
    return {"p_alive": _nullable(s.p_alive, None, n, float),
            "expected_purchases": _nullable(s.expected_purchases, None, n, float),
            "clv_minor": _nullable(s.clv_minor, None, n, np.int64), "churn_risk": churn_risk}


def _previous_model_columns(session: Session, customer_ids: np.ndarray) -> dict[str, list]:
    """The model figures of the stored scores, aligned with ``customer_ids`` (None where there are none)."""
    n = len(customer_ids)
    out = {c: [None] * n for c in MODEL_COLUMNS}
    cols = [getattr(CustomerScore, c) for c in MODEL_COLUMNS]
    rows = session.execute(select(CustomerScore.customer_id, *cols)
                           .where(or_(*(c.is_not(None) for c in cols)))).all()
    if not rows or n == 0:
        return out
    prev_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    at = np.searchsorted(customer_ids, prev_ids)  # customer_ids is sorted (np.unique)
    at_ok = at < n
    hit = np.zeros(len(rows), dtype=bool)
    hit[at_ok] = customer_ids[at[at_ok]] == prev_ids[at_ok]
    for j, name in enumerate(MODEL_COLUMNS, start=1):
        column = out[name]
        for i in np.flatnonzero(hit).tolist():
            column[at[i]] = rows[i][j]
    return out


def _score_columns(s, live: np.ndarray, currency: str, model: dict[str, list]) -> dict[str, list]:
    """Column-wise rows of ``analytics_customer_scores``: the scored customers, then the prospects
    (live customers without a purchase), who get only their lifecycle stage."""
    n = len(s)
    prospects = np.setdiff1d(live, s.customer_ids, assume_unique=True).tolist()
    k = len(prospects)
    in_window = s.r > 0
    empty = [None] * k
    return {
        "customer_id": s.customer_ids.astype(np.int64).tolist() + prospects,
        "recency_score": _nullable(s.r, in_window, n, np.int64) + empty,
        "frequency_score": _nullable(s.f, in_window, n, np.int64) + empty,
        "monetary_score": _nullable(s.m, in_window, n, np.int64) + empty,
        "segment": s.segment.tolist() + empty,
        "recency_days": s.recency_days.astype(np.int64).tolist() + empty,
        "orders": s.purchase_days.astype(np.int64).tolist() + [0] * k,
        "window_orders": s.frequency.astype(np.int64).tolist() + [0] * k,
        "window_spend_minor": s.monetary.astype(np.int64).tolist() + [0] * k,
        **{name: model[name] + empty for name in MODEL_COLUMNS},
        "currency": [currency] * n + empty,
        "lifecycle_stage": [str(v) for v in s.stage.tolist()] + [Stage.PROSPECT.value] * k,
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
