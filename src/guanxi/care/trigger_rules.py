"""Pure date rules of the newer triggers: anniversaries, refill timing, the win-back ladder.

No database here, so each rule is tested on constructed dates and histories.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections.abc import Iterable

import numpy as np

from guanxi.analytics.lifecycle import purchase_gaps


def anniversary_in_year(start: dt.date, year: int) -> dt.date | None:
    """The day `start` comes round in `year` (29 February on 28 February in other years); None in its own year."""
    if year <= start.year:
        return None
    day = start.day
    if (start.month, day) == (2, 29) and not calendar.isleap(year):
        day = 28
    return dt.date(year, start.month, day)


def anniversary_due(start: dt.date, local_today: dt.date, days_before: int = 0) -> dt.date | None:
    """The anniversary `days_before` days ahead of `local_today` when there is one, else None."""
    target = local_today + dt.timedelta(days=days_before)
    return target if anniversary_in_year(start, target.year) == target else None


def rebuy_intervals(lines: Iterable[tuple[int, str, dt.date]], min_repeats: int) -> dict[str, float]:
    """sku -> median days between consecutive purchases of it by the same customer.

    `lines` are (customer id, sku, local purchase day). Several lines on one day are one purchase
    (the gaps come from analytics' `purchase_gaps`, which drops zero gaps). A SKU needs at least
    `min_repeats` such repeat purchases across the shop, or its rhythm is a guess.
    """
    by_sku: dict[str, tuple[list[int], list[int]]] = {}
    for cid, sku, day in lines:
        owners, days = by_sku.setdefault(sku, ([], []))
        owners.append(cid)
        days.append(day.toordinal())
    out = {}
    for sku, (owners, days) in by_sku.items():
        gaps = purchase_gaps(np.asarray(owners), np.asarray(days))
        if len(gaps) >= max(1, min_repeats):
            out[sku] = float(statistics.median(gaps.tolist()))
    return out


def refill_reminder_day(last_purchase: dt.date, interval_days: float, days_before: int) -> dt.date:
    """The day to remind: `days_before` the next expected purchase (the interval rounded to whole days)."""
    expected = last_purchase + dt.timedelta(days=round(interval_days))
    return max(last_purchase + dt.timedelta(days=1), expected - dt.timedelta(days=days_before))


def offer_size(offer: dict | None) -> tuple[float, int]:
    """(percent off, points) of an offer, a bundle's parts added up: how steps of a ladder compare."""
    if not offer:
        return 0.0, 0
    if offer.get("kind") == "bundle":
        parts = [offer_size(o) for o in offer.get("offers") or []]
        return sum(p for p, _ in parts), sum(n for _, n in parts)
    return float(offer.get("percent") or 0), int(offer.get("points") or 0)


def ladder_step(steps: list[dict], lapsed_days: int, grace_days: int = 7) -> int | None:
    """Index of the step due after `lapsed_days` without an order: the highest step reached, while within
    `grace_days` of it (a late run still sends it; a customer far past it waits for the next step)."""
    due = None
    for i, step in enumerate(steps):
        if lapsed_days >= step["days"]:
            due = i
    if due is None:
        return None
    return None if lapsed_days > steps[due]["days"] + grace_days else due


def check_ladder(steps: object) -> str | None:
    """What is wrong with an `offers` ladder, or None: days grow, each offer at least as big as the one before."""
    if not isinstance(steps, list) or not 1 <= len(steps) <= 10:
        return 'offers is a list of 1 to 10 steps like {"days": 90, "offer": {...}}'
    previous_days, previous_size = 0, (0.0, 0)
    for step in steps:
        if not isinstance(step, dict) or set(step) - {"days", "offer"} or "days" not in step:
            return 'each step of offers is {"days": n, "offer": {...}}'
        days = step["days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 7 <= days <= 1000:
            return "offers: days is a whole number from 7 to 1000"
        if days <= previous_days:
            return "offers: each step waits more days than the one before"
        if step.get("offer") is not None and not isinstance(step["offer"], dict):
            return "offers: a step's offer is an object"
        size = offer_size(step.get("offer"))
        if size[0] < previous_size[0] or size[1] < previous_size[1]:
            return "offers: a step never offers less (percent or points) than the step before"
        previous_days, previous_size = days, size
    return None
