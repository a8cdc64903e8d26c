"""First-response and reply-time targets per channel, counted in business time; the away message.

Values in, values out. A chat target is short (a visitor waits with the window open), a post
or e-mail one long. Outside opening hours the clock waits for the next opening, and the
customer gets the away message once per stretch of closed time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from guanxi.service import sla

# (first response, each later reply) per channel.
DEFAULT_TARGETS: dict[str, tuple[dt.timedelta, dt.timedelta]] = {
    "livechat": (dt.timedelta(seconds=60), dt.timedelta(minutes=2)),
    "wechat": (dt.timedelta(minutes=5), dt.timedelta(minutes=10)),
    "weibo_dm": (dt.timedelta(minutes=30), dt.timedelta(minutes=30)),
    "weibo_comment": (dt.timedelta(hours=2), dt.timedelta(hours=2)),
    "douyin_dm": (dt.timedelta(minutes=30), dt.timedelta(minutes=30)),
    "douyin_comment": (dt.timedelta(hours=2), dt.timedelta(hours=2)),
    "email": (dt.timedelta(hours=4), dt.timedelta(hours=8)),
    "phone": (dt.timedelta(hours=4), dt.timedelta(hours=8)),
}


@dataclass(frozen=True)
class ReplyTarget:
    kind: str                      # first_response | reply | none
    due: dt.datetime | None
    state: str                     # none | running | warning | breached | met
    remaining_seconds: int | None


def budget_for(channel: str, first: bool) -> dt.timedelta:
    first_budget, reply_budget = DEFAULT_TARGETS.get(channel, DEFAULT_TARGETS["email"])
    return first_budget if first else reply_budget


def evaluate(schedule: sla.Schedule, channel: str, *, waiting_since: dt.datetime | None, answered_before: bool,
             now: dt.datetime, warn_ratio: float = 0.75) -> ReplyTarget:
    """The target of the message the customer is waiting on (waiting_since: their oldest unanswered
    message; None when nothing waits for an answer)."""
    if waiting_since is None:
        return ReplyTarget("none", None, "none", None)
    kind = "reply" if answered_before else "first_response"
    budget = budget_for(channel, not answered_before)
    due = sla.add_business_time(schedule, waiting_since, budget)
    used = sla.business_time(schedule, waiting_since, now)
    if due is None:
        return ReplyTarget(kind, None, "running", None)
    state = "breached" if now > due else ("warning" if used >= budget * warn_ratio else "running")
    return ReplyTarget(kind, due, state, int((due - now).total_seconds()))


def met(schedule: sla.Schedule, channel: str, *, asked_at: dt.datetime, answered_at: dt.datetime,
        first: bool) -> bool:
    return sla.business_time(schedule, asked_at, answered_at) <= budget_for(channel, first)


def is_open(schedule: sla.Schedule, at: dt.datetime) -> bool:
    lo, hi = next(schedule.windows(at))
    return lo <= at < hi


def needs_away_message(schedule: sla.Schedule, *, at: dt.datetime, last_away_at: dt.datetime | None) -> bool:
    """Outside opening hours, once per closed stretch: not again until the shop has opened since."""
    if is_open(schedule, at):
        return False
    if last_away_at is None:
        return True
    next_opening, _ = next(schedule.windows(last_away_at))
    return next_opening <= at
