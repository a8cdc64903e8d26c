"""Earning rules as data, and the pure function that turns an order into points.

A rule is a dict (stored as JSON, versioned by the store):

    {"kind": "base", "points_per_unit": 1, "unit_minor": 100, "include_shipping": false, "rounding": "floor"}
    {"kind": "multiplier", "factor": 2, "when": {"category": "beauty", "weekday": [3]}, "label": "Member day"}
    {"kind": "fixed", "points": 200, "when": {"first_order": true}}
    {"kind": "cap", "per_order": 5000}            {"kind": "cap", "per_customer_day": 20000}

`when` may hold: category (prefix match, "beauty" covers "beauty/lips"), sku (one or a list),
channel, store, weekday (ISO 1-7 in the member's zone: member day), from / to (local dates,
inclusive: 618, Double 11), first_order, min_amount_minor, tier. Line conditions (category,
sku) pick the lines a multiplier applies to; the others decide whether the rule applies at all.
On one line the best multiplier wins; fixed points add up; caps apply last.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from fractions import Fraction
from zoneinfo import ZoneInfo

from guanxi.errors import Invalid

KINDS = ("base", "multiplier", "fixed", "cap")
ROUNDING = ("floor", "round", "ceil")
ORDER_CONDITIONS = ("channel", "store", "weekday", "from", "to", "first_order", "min_amount_minor", "tier")
LINE_CONDITIONS = ("category", "sku")
DEFAULT_BASE = {"kind": "base", "points_per_unit": 1, "unit_minor": 100, "include_shipping": False,
                "rounding": "floor"}


@dataclass(frozen=True)
class LineFacts:
    sku: str
    quantity: int
    unit_price_minor: int
    category: str | None = None


@dataclass(frozen=True)
class OrderFacts:
    placed_at: dt.datetime
    total_minor: int              # paid, after discounts, shipping included
    shipping_minor: int = 0
    discount_minor: int = 0
    currency: str = "CNY"
    channel: str | None = None
    store: str | None = None
    lines: tuple[LineFacts, ...] = ()
    first_order: bool = False


@dataclass(frozen=True)
class MemberFacts:
    timezone: str = "Asia/Shanghai"
    tier: str | None = None
    earned_today: int = 0         # points already earned from orders on the order's local day


@dataclass
class Award:
    points: int
    explanations: list[str] = field(default_factory=list)
    by_sku: dict[str, int] = field(default_factory=dict)   # points per line, for refunds by line
    rules: list[str] = field(default_factory=list)


def validate(rule: dict) -> dict:
    """The rule, checked; Invalid names the field at fault."""
    def bad(field_name: str, msg: str):
        raise Invalid(f"rule: {field_name}: {msg}", errors=[{"loc": ["body", "definition", field_name], "msg": msg}])

    if not isinstance(rule, dict) or rule.get("kind") not in KINDS:
        bad("kind", f"one of {', '.join(KINDS)}")
    kind = rule["kind"]
    allowed = {"kind", "when", "label"} | {
        "base": {"points_per_unit", "unit_minor", "include_shipping", "rounding"},
        "multiplier": {"factor"}, "fixed": {"points"}, "cap": {"per_order", "per_customer_day"}}[kind]
    for key in rule:
        if key not in allowed:
            bad(key, "not a field of this kind of rule")
    positive = {"base": ["points_per_unit", "unit_minor"], "fixed": ["points"], "multiplier": ["factor"]}.get(kind, [])
    for key in positive:
        if kind == "base" and key not in rule:
            continue  # the default: 1 point per 1.00
        value = rule.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            bad(key, "a positive number")
    if kind == "base" and rule.get("rounding", "floor") not in ROUNDING:
        bad("rounding", f"one of {', '.join(ROUNDING)}")
    if kind == "cap":
        caps = [rule.get("per_order"), rule.get("per_customer_day")]
        if all(c is None for c in caps) or any(c is not None and (not isinstance(c, int) or c < 0) for c in caps):
            bad("per_order", "per_order and/or per_customer_day, whole numbers ≥ 0")
    when = rule.get("when", {})
    if not isinstance(when, dict):
        bad("when", "an object of conditions")
    for key, value in when.items():
        if key not in ORDER_CONDITIONS + LINE_CONDITIONS:
            bad(f"when.{key}", "unknown condition")
        if key in ("from", "to"):
            try:
                dt.date.fromisoformat(value)
            except (TypeError, ValueError):
                bad(f"when.{key}", "a date, YYYY-MM-DD")
        if key == "weekday" and not (isinstance(value, list) and all(isinstance(d, int) and 1 <= d <= 7 for d in value)):
            bad("when.weekday", "a list of ISO weekdays, 1 (Monday) to 7")
    return rule


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def _order_matches(when: dict, order: OrderFacts, member: MemberFacts, local_day: dt.date) -> bool:
    if "channel" in when and order.channel not in _listed(when["channel"]):
        return False
    if "store" in when and order.store not in _listed(when["store"]):
        return False
    if "weekday" in when and local_day.isoweekday() not in when["weekday"]:
        return False
    if "from" in when and local_day < dt.date.fromisoformat(when["from"]):
        return False
    if "to" in when and local_day > dt.date.fromisoformat(when["to"]):
        return False
    if "first_order" in when and bool(when["first_order"]) != order.first_order:
        return False
    if "min_amount_minor" in when and order.total_minor - order.shipping_minor < when["min_amount_minor"]:
        return False
    if "tier" in when and member.tier not in _listed(when["tier"]):
        return False
    return True


def _line_matches(when: dict, line: LineFacts) -> bool:
    if "sku" in when and line.sku not in _listed(when["sku"]):
        return False
    if "category" in when:
        cat = line.category or ""
        if not any(cat == c or cat.startswith(c + "/") for c in _listed(when["category"])):
            return False
    return True


def _label(rule: dict, name: str) -> str:
    return rule.get("label") or name


def evaluate(order: OrderFacts, member: MemberFacts, rules: dict[str, dict]) -> Award:
    """Points for `order` under `rules` ({name: definition}, the versions in force when it was placed)."""
    local_day = order.placed_at.astimezone(ZoneInfo(member.timezone)).date()
    active = {name: r for name, r in rules.items() if _order_matches(r.get("when", {}), order, member, local_day)}
    bases = [(n, r) for n, r in active.items() if r["kind"] == "base"]
    if not bases:
        return Award(0)
    base_name, base = bases[0]
    paid = order.total_minor - (0 if base.get("include_shipping") else order.shipping_minor)
    paid = max(paid, 0)
    rate = Fraction(base.get("points_per_unit", 1)) / Fraction(base.get("unit_minor", 100))
    # Spread what was paid over the lines by their list price, so line multipliers see net amounts.
    gross = sum(l.quantity * l.unit_price_minor for l in order.lines)
    lines = order.lines if gross > 0 else (LineFacts("", 1, paid),)
    gross = gross or paid
    award = Award(0, [f"{_label(base, base_name)}: {base.get('points_per_unit', 1)} per "
                      f"{Fraction(base.get('unit_minor', 100), 100)} {order.currency}"], rules=[base_name])
    exact: dict[str, Fraction] = {}
    multipliers = [(n, r) for n, r in active.items() if r["kind"] == "multiplier"]
    used = set()
    for line in lines:
        share = Fraction(paid * line.quantity * line.unit_price_minor, gross) if gross else Fraction(0)
        best, best_name = Fraction(1), None
        for name, rule in multipliers:
            if _line_matches(rule.get("when", {}), line):
                factor = Fraction(str(rule["factor"]))
                if factor > best:
                    best, best_name = factor, name
        if best_name:
            used.add(best_name)
        exact[line.sku] = exact.get(line.sku, Fraction(0)) + share * rate * best
    for name in sorted(used):
        rule = active[name]
        award.explanations.append(f"{_label(rule, name)}: ×{rule['factor']}")
        award.rules.append(name)
    rounding = {"floor": math.floor, "ceil": math.ceil, "round": lambda x: int(x + Fraction(1, 2))}[
        base.get("rounding", "floor")]
    # Round the order's total once, then share it over the lines (largest remainders).
    award.by_sku = _share(exact, rounding(sum(exact.values(), Fraction(0))))
    for name, rule in active.items():
        if rule["kind"] == "fixed":
            matching = [l for l in lines if _line_matches(rule.get("when", {}), l)]
            if matching:
                sku = matching[0].sku
                award.by_sku[sku] = award.by_sku.get(sku, 0) + int(rule["points"])
                award.explanations.append(f"{_label(rule, name)}: +{rule['points']}")
                award.rules.append(name)
    points = sum(award.by_sku.values())
    for name, rule in active.items():
        if rule["kind"] != "cap":
            continue
        limit = points
        if rule.get("per_order") is not None:
            limit = min(limit, rule["per_order"])
        if rule.get("per_customer_day") is not None:
            limit = min(limit, max(rule["per_customer_day"] - member.earned_today, 0))
        if limit < points:
            award.explanations.append(f"{_label(rule, name)}: capped at {limit}")
            award.rules.append(name)
            award.by_sku = _scale(award.by_sku, limit, points)
            points = limit
    award.points = points
    return award


def _scale(by_sku: dict[str, int], limit: int, points: int) -> dict[str, int]:
    """Shrink per-line points to a cap, keeping the sum exact."""
    if points <= 0:
        return by_sku
    return _share({k: Fraction(v * limit, points) for k, v in by_sku.items()}, limit)


def _share(exact: dict[str, Fraction], total: int) -> dict[str, int]:
    """Whole points per line summing to `total`; the largest remainders get the odd points."""
    out = {k: math.floor(v) for k, v in exact.items()}
    short = total - sum(out.values())
    if short < 0:
        for k in sorted(out, key=lambda k: exact[k] - out[k])[:-short]:
            out[k] -= 1
        return out
    for k in sorted(exact, key=lambda k: exact[k] - out[k], reverse=True)[:short]:
        out[k] += 1
    return out
