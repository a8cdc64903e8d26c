"""Crisis detection: negative volume per hour against a rolling baseline, alert keywords weighted by reach.

Pure: hours and mentions in, a `Signal` (or None) out. `crisis_store.py` reads the database, opens the
crisis, tells staff and opens a ticket.

- Volume: the hour's negative mentions, each weighted by its author's reach, against the previous
  hours (a week by default). It fires when the count is at least `min_volume`, its z-score against
  the baseline is at least `z` (the spread is at least Poisson's, so a flat zero baseline does not
  make every blip infinite) and a Poisson test puts it below `p`.
- Keywords: negative mentions naming 假货, 投诉, 315, 安全 … each add their author's reach weight
  (more for several keywords at once); a sum of `keyword_score` fires on its own — one post by a
  large account, or a handful by small ones.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from scipy.stats import poisson

ALERT_KEYWORDS_ZH = ("假货", "投诉", "315", "安全", "曝光", "维权", "过敏", "爆炸", "起火", "自燃", "中毒", "受伤",
                     "召回", "欺诈", "骗子", "举报", "起诉", "律师", "黑心", "致癌")
ALERT_KEYWORDS_EN = ("counterfeit", "fake", "fire", "complaint", "lawsuit", "recall", "unsafe", "injury", "injured",
                     "poison", "poisoning", "scam", "explode", "exploded", "burned", "toxic", "fraud")
_KEYWORD_RE = re.compile(
    "|".join([*(re.escape(k) if not k.isdigit() else rf"(?<!\d){k}(?!\d)" for k in ALERT_KEYWORDS_ZH),
              *(rf"\b{k}\b" for k in ALERT_KEYWORDS_EN)]), re.I)
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Thresholds:
    z: float = 3.0
    p: float = 0.001
    min_volume: float = 8.0        # weighted negative mentions in the hour
    keyword_score: float = 4.0     # weighted alert-keyword mentions in the hour


@dataclass(frozen=True)
class HourBucket:
    hour: dt.datetime
    weighted_negative: float
    negative: int
    total: int


@dataclass(frozen=True)
class MentionSignal:
    text: str
    label: str
    followers: int = 0


@dataclass(frozen=True)
class Signal:
    hour: dt.datetime
    reasons: list[str]
    severity: str                  # medium | high
    z: float
    p_value: float
    weighted_negative: float
    baseline_mean: float
    keyword_score: float
    keywords: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"hour": self.hour.isoformat(), "reasons": self.reasons, "severity": self.severity,
                "z": round(self.z, 3), "p_value": self.p_value, "weighted_negative": round(self.weighted_negative, 3),
                "baseline_mean": round(self.baseline_mean, 3), "keyword_score": round(self.keyword_score, 3),
                "keywords": self.keywords}


def reach_weight(followers: int | None) -> float:
    """1 for an account nobody follows, growing with log10 of followers, at most 4 (a million and more)."""
    return min(4.0, 1.0 + math.log10(1 + max(0, followers or 0)) / 2)


def alert_keywords(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(0).lower() for m in _KEYWORD_RE.finditer(text or "")))


def floor_hour(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def buckets(items: Iterable[tuple[dt.datetime, str, int | None]], start: dt.datetime, end: dt.datetime
            ) -> list[HourBucket]:
    """(posted_at, label, followers) → one bucket per hour in [start, end), empty hours included."""
    start, end = floor_hour(start), floor_hour(end)
    n = max(0, int((end - start) / HOUR))
    weighted, negative, total = [0.0] * n, [0] * n, [0] * n
    for at, label, followers in items:
        i = int((floor_hour(at) - start) / HOUR)
        if 0 <= i < n:
            total[i] += 1
            if label == "negative":
                negative[i] += 1
                weighted[i] += reach_weight(followers)
    return [HourBucket(start + i * HOUR, weighted[i], negative[i], total[i]) for i in range(n)]


def _baseline(history: list[HourBucket]) -> tuple[float, float]:
    values = [b.weighted_negative for b in history]
    if not values:
        return 0.0, 0.0
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
    return mean, var


def detect(history: list[HourBucket], current: HourBucket, mentions: list[MentionSignal],
           thresholds: Thresholds | None = None) -> Signal | None:
    """A signal for `current` given the hours before it and the hour's mentions, or None."""
    t = thresholds or Thresholds()
    mean, var = _baseline(history)
    x = current.weighted_negative
    scale = math.sqrt(max(var, mean, 1.0))
    z = (x - mean) / scale
    p_value = float(poisson.sf(math.ceil(x) - 1, max(mean, 0.5))) if x > 0 else 1.0
    reasons = []
    if x >= t.min_volume and z >= t.z and p_value < t.p:
        reasons.append("volume")

    keyword_score, counts = 0.0, {}
    for m in mentions:
        if m.label != "negative":
            continue
        found = alert_keywords(m.text)
        if found:
            keyword_score += reach_weight(m.followers) * (1 + 0.25 * (len(found) - 1))
            for k in found:
                counts[k] = counts.get(k, 0) + 1
    if keyword_score >= t.keyword_score:
        reasons.append("keywords")
    if not reasons:
        return None
    high = z >= 2 * t.z or keyword_score >= 2 * t.keyword_score or len(reasons) == 2
    return Signal(current.hour, reasons, "high" if high else "medium", z, p_value, x, mean, keyword_score, counts)
