"""Figures for the mentions dashboard: volume and sentiment by day, by platform, by product, top keywords
and aspects. SQL aggregates where they are plain; keywords and aspects are counted in Python over a bounded
window of rows (they live in JSON columns)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.social.models import Mention

MAX_ROWS_FOR_WORDS = 20_000


def _filters(stmt, since, platform, sku):
    stmt = stmt.where(Mention.posted_at >= since, Mention.status == "visible")
    if platform:
        stmt = stmt.where(Mention.platform == platform)
    if sku:
        stmt = stmt.where(Mention.product_sku == sku)
    return stmt


def figures(session: Session, *, days: int = 30, platform: str | None = None, sku: str | None = None,
            now: dt.datetime | None = None) -> dict:
    now = now or utcnow()
    since = (now - dt.timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    neg = func.sum(case((Mention.label == "negative", 1), else_=0))
    pos = func.sum(case((Mention.label == "positive", 1), else_=0))
    totals = session.execute(_filters(select(func.count(), pos, neg, func.avg(Mention.sentiment)), since, platform,
                                      sku)).one()
    by_day: dict[str, dict] = {}
    rows = session.execute(_filters(select(Mention.posted_at, Mention.label, Mention.sentiment), since, platform, sku)
                           .order_by(Mention.posted_at.desc()).limit(200_000)).all()
    for at, label, value in rows:
        d = by_day.setdefault(at.date().isoformat(), {"day": at.date().isoformat(), "total": 0, "positive": 0,
                                                         "neutral": 0, "negative": 0, "sum": 0.0})
        d["total"] += 1
        d[label] += 1
        d["sum"] += value
    trend = []
    for key in sorted(by_day):
        d = by_day[key]
        trend.append({**{k: v for k, v in d.items() if k != "sum"}, "sentiment": round(d["sum"] / d["total"], 3)})

    def grouped(column):
        stmt = _filters(select(column, func.count(), neg, func.avg(Mention.sentiment)), since, platform, sku)
        stmt = stmt.where(column.is_not(None)).group_by(column).order_by(func.count().desc()).limit(20)
        return [{"key": k, "total": n, "negative": int(ng or 0), "sentiment": round(float(s or 0), 3)}
                for k, n, ng, s in session.execute(stmt)]

    words: Counter = Counter()
    negative_words: Counter = Counter()
    aspect_sum: dict[str, list[float]] = defaultdict(list)
    for kw, asp, label in session.execute(_filters(select(Mention.keywords, Mention.aspects, Mention.label), since,
                                                   platform, sku).order_by(Mention.posted_at.desc())
                                          .limit(MAX_ROWS_FOR_WORDS)):
        words.update(kw or [])
        if label == "negative":
            negative_words.update(kw or [])
        for a, v in (asp or {}).items():
            aspect_sum[a].append(v)
    total = totals[0] or 0
    return {
        "days": days, "platform": platform, "sku": sku, "total": total,
        "positive": int(totals[1] or 0), "negative": int(totals[2] or 0),
        "sentiment": round(float(totals[3] or 0), 3),
        "negative_share": round((totals[2] or 0) / total, 3) if total else 0.0,
        "trend": trend,
        "platforms": grouped(Mention.platform),
        "products": grouped(Mention.product_sku),
        "keywords": [{"word": w, "count": n} for w, n in words.most_common(20)],
        "negative_keywords": [{"word": w, "count": n} for w, n in negative_words.most_common(10)],
        "aspects": [{"aspect": a, "mentions": len(v), "sentiment": round(sum(v) / len(v), 3)}
                    for a, v in sorted(aspect_sum.items())],
    }
