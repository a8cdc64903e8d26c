"""Event rules: points for what a member does besides buying, as data; evaluation is pure.

    {"kind": "event", "event": "check_in", "points": 5, "streak": {"days": 7, "bonus": 50},
     "limits": {"per_day": 1, "per_month": 31, "lifetime": null}, "budget": 100000, "label": "Daily check-in"}

Events: sign_up, profile_completed, birthday, review, share, survey_answered, check_in, referral.
Limits count what the rule has awarded the member on the event's local day, in its local
month and ever (the member's time zone). A check-in counts once per local day; a birthday once
per year (29 February is celebrated on 28 February in common years); a streak bonus is paid on
every `days`-th consecutive local day of check-ins, and a missed day starts the count again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

EVENTS = ("sign_up", "profile_completed", "birthday", "review", "share", "survey_answered", "check_in", "referral")
LIMITS = ("per_day", "per_month", "lifetime")
_FIELDS = {"kind", "event", "points", "limits", "streak", "budget", "label"}


def validate(rule: dict, bad) -> dict:
    """Check an event rule; `bad(field, msg)` raises (rules.validate's reporter)."""
    for key in rule:
        if key not in _FIELDS:
            bad(key, "not a field of an event rule")
    if rule.get("event") not in EVENTS:
        bad("event", f"one of {', '.join(EVENTS)}")
    points = rule.get("points")
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        bad("points", "a whole number of points ≥ 0")
    limits = rule.get("limits", {})
    if not isinstance(limits, dict):
        bad("limits", "an object: per_day, per_month, lifetime")
    for key, value in limits.items():
        if key not in LIMITS:
            bad(f"limits.{key}", f"one of {', '.join(LIMITS)}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            bad(f"limits.{key}", "a whole number ≥ 1, or null for no limit")
    if "streak" in rule:
        streak = rule["streak"]
        if rule["event"] != "check_in":
            bad("streak", "only check_in rules have a streak bonus")
        if (not isinstance(streak, dict) or set(streak) != {"days", "bonus"}
                or any(isinstance(v, bool) or not isinstance(v, int) for v in streak.values())
                or streak["days"] < 2 or streak["bonus"] < 0):
            bad("streak", "{\"days\": N ≥ 2, \"bonus\": points ≥ 0}")
    return rule


@dataclass(frozen=True)
class RuleHistory:
    """What one rule has already given this member (its awards with points, by the member's local calendar)."""

    today: int = 0
    this_month: int = 0
    this_year: int = 0
    lifetime: int = 0
    days: frozenset[dt.date] = frozenset()   # local days with an award (check-in streaks)


@dataclass
class EventAward:
    points: int
    local_day: dt.date
    explanations: list[str] = field(default_factory=list)
    by_rule: dict[str, int] = field(default_factory=dict)
    budget_use: dict[str, int] = field(default_factory=dict)


def local_day(at: dt.datetime, timezone: str) -> dt.date:
    return at.astimezone(ZoneInfo(timezone)).date()


def streak_length(day: dt.date, earlier: frozenset[dt.date]) -> int:
    """Consecutive local days of check-ins ending with `day` (which counts)."""
    n = 1
    while day - dt.timedelta(days=n) in earlier:
        n += 1
    return n


def evaluate(kind: str, at: dt.datetime, timezone: str, rules: dict[str, dict],
             history: dict[str, RuleHistory], *, budgets: dict[str, int] | None = None,
             day: dt.date | None = None) -> EventAward:
    """Points for an event of `kind` at `at` under the event rules in force ({name: definition}).

    `day`: the local day the event counts on, when not the day of `at` (a birthday granted late)."""
    day = day or local_day(at, timezone)
    award = EventAward(0, day)
    for name in sorted(rules):
        rule = rules[name]
        if rule.get("kind") != "event" or rule.get("event") != kind:
            continue
        label = rule.get("label") or name
        seen = history.get(name, RuleHistory())
        limits = dict(rule.get("limits") or {})
        if kind == "check_in":
            limits["per_day"] = 1
        reached = next((f"{key.replace('_', ' ')} limit {limits[key]} reached" for key, count in
                        (("lifetime", seen.lifetime), ("per_month", seen.this_month), ("per_day", seen.today))
                        if limits.get(key) is not None and count >= limits[key]), None)
        if reached is None and kind == "birthday" and seen.this_year:
            reached = "once a year"
        if reached is not None:
            award.explanations.append(f"{label}: {reached}")
            continue
        points = int(rule["points"])
        notes = [f"{label}: +{points}"]
        if kind == "check_in" and "streak" in rule:
            length = streak_length(day, seen.days)
            if length % rule["streak"]["days"] == 0:
                points += rule["streak"]["bonus"]
                notes.append(f"{label}: {length}-day streak +{rule['streak']['bonus']}")
        if budgets is not None and "budget" in rule:
            left = max(budgets.get(name, 0), 0)
            if points > left:
                notes = [f"{label}: budget spent, +{left} of {points}"]
                points = left
            award.budget_use[name] = points
        award.explanations.extend(notes)
        award.by_rule[name] = points
        award.points += points
    return award
