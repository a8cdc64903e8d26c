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

A multiplier or fixed rule may carry a campaign budget, `"budget": 100000` (points): evaluate()
is then given what is left of it (`budgets={name: points left}`) and awards at most that much of
what the rule adds (the extra points of a multiplier, the points of a fixed rule); Award.budget_use
says what each budget is charged. Event rules (kind "event", see event_rules.py) and spend-threshold
gifts (kind "gift", see gifts.py) are stored and versioned with these rules; evaluate() ignores them.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from zoneinfo import ZoneInfo

from guanxi.errors import Invalid

KINDS = ("base", "multiplier", "fixed", "cap", "event", "gift")
BUDGETED = ("multiplier", "fixed", "event")
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
    budget_use: dict[str, int] = field(default_factory=dict)  # points charged to each budgeted rule


def validate(rule: dict) -> dict:
    """The rule, checked; Invalid names the field at fault."""
    def bad(field_name: str, msg: str):
        raise Invalid(f"rule: {field_name}: {msg}", errors=[{"loc": ["body", "definition", field_name], "msg": msg}])

    if not isinstance(rule, dict) or rule.get("kind") not in KINDS:
        bad("kind", f"one of {', '.join(KINDS)}")
    kind = rule["kind"]
    if "budget" in rule and (kind not in BUDGETED or isinstance(rule["budget"], bool)
                             or not isinstance(rule["budget"], int) or rule["budget"] < 0):
        bad("budget", f"a whole number of points ≥ 0, on a rule of kind {', '.join(BUDGETED)}")
    if kind == "event":
        from guanxi.loyalty import event_rules
        return event_rules.validate(rule, bad)
    if kind == "gift":
        from guanxi.loyalty import gifts
        return gifts.validate(rule, bad)
    allowed = {"kind", "when", "label", "budget"} | {
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


@dataclass(frozen=True)
class _Compiled:
    """A rule with its conditions parsed once (evaluation runs for every order)."""

    name: str
    kind: str
    definition: dict
    channel: frozenset | None
    store: frozenset | None
    weekday: frozenset | None
    start: dt.date | None
    end: dt.date | None
    first_order: bool | None
    min_amount: int | None
    tier: frozenset | None
    skus: frozenset | None
    categories: tuple | None
    factor: Fraction

    def applies(self, order: OrderFacts, member: MemberFacts, day: dt.date) -> bool:
        return not ((self.channel is not None and order.channel not in self.channel)
                    or (self.store is not None and order.store not in self.store)
                    or (self.weekday is not None and day.isoweekday() not in self.weekday)
                    or (self.start is not None and day < self.start)
                    or (self.end is not None and day > self.end)
                    or (self.first_order is not None and self.first_order != order.first_order)
                    or (self.min_amount is not None and order.total_minor - order.shipping_minor < self.min_amount)
                    or (self.tier is not None and member.tier not in self.tier))

    def covers(self, line: LineFacts) -> bool:
        if self.skus is not None and line.sku not in self.skus:
            return False
        if self.categories is not None:
            cat = line.category or ""
            return any(cat == c or cat.startswith(c + "/") for c in self.categories)
        return True

    @property
    def label(self) -> str:
        return self.definition.get("label") or self.name


def _compile(name: str, rule: dict) -> _Compiled:
    when = rule.get("when", {})

    def opt(key, cast=frozenset):
        return cast(_listed(when[key])) if key in when else None

    return _Compiled(
        name, rule["kind"], rule, opt("channel"), opt("store"), opt("weekday"),
        dt.date.fromisoformat(when["from"]) if "from" in when else None,
        dt.date.fromisoformat(when["to"]) if "to" in when else None,
        bool(when["first_order"]) if "first_order" in when else None, when.get("min_amount_minor"),
        opt("tier"), opt("sku"), opt("category", tuple), Fraction(str(rule.get("factor", 1))))


_CACHE: dict[int, tuple[dict, list[_Compiled]]] = {}


def compiled(rules: dict[str, dict]) -> list[_Compiled]:
    """The rules parsed, cached for as long as the same dict is passed (one rule version set)."""
    hit = _CACHE.get(id(rules))
    if hit is not None and hit[0] is rules:
        return hit[1]
    if len(_CACHE) > 256:
        _CACHE.clear()
    out = [_compile(name, rule) for name, rule in rules.items()]
    _CACHE[id(rules)] = (rules, out)  # holds `rules`, so its id is not reused while cached
    return out


def evaluate(order: OrderFacts, member: MemberFacts, rules: dict[str, dict], *,
             budgets: dict[str, int] | None = None) -> Award:
    """Points for `order` under `rules` ({name: definition}, the versions in force when it was placed).

    `budgets`: the points left in each budgeted rule's budget (a budgeted rule missing from it
    has nothing left); without it budgets are not applied (previews)."""
    day = order.placed_at.astimezone(ZoneInfo(member.timezone)).date()
    active = [r for r in compiled(rules) if r.applies(order, member, day)]
    base = next((r for r in active if r.kind == "base"), None)
    if base is None:
        return Award(0)
    b = base.definition
    per, unit = b.get("points_per_unit", 1), b.get("unit_minor", 100)
    paid = max(order.total_minor - (0 if b.get("include_shipping") else order.shipping_minor), 0)
    # Spread what was paid over the lines by their list price, so line multipliers see net amounts.
    gross = sum(l.quantity * l.unit_price_minor for l in order.lines)
    lines = order.lines if gross > 0 else (LineFacts("", 1, paid),)
    gross = gross or paid or 1
    award = Award(0, [_base_explanation(base.label, per, unit, order.currency)], rules=[base.name])
    multipliers = [r for r in active if r.kind == "multiplier"]
    # Exact points per line as integers over one denominator (gross × unit × the factors' lcm).
    factors, bests = [], []
    used: dict[str, _Compiled] = {}
    for line in lines:
        best = None
        for rule in multipliers:
            if (best is None and rule.factor > 1 or best is not None and rule.factor > best.factor) and rule.covers(line):
                best = rule
        bests.append(best)
        if best is not None:
            used[best.name] = best
            factors.append((best.factor.numerator, best.factor.denominator))
        else:
            factors.append((1, 1))
    lcm = math.lcm(*(fd for _, fd in factors)) if len(factors) > 1 else factors[0][1]
    den = gross * unit * lcm
    numerators: dict[str, int] = {}
    extra: dict[str, dict[str, int]] = defaultdict(dict)   # budgeted multiplier -> sku -> added numerator
    for line, (fn, fd), rule in zip(lines, factors, bests):
        share = paid * line.quantity * line.unit_price_minor * per
        numerators[line.sku] = numerators.get(line.sku, 0) + share * fn * (lcm // fd)
        if rule is not None and budgets is not None and "budget" in rule.definition:
            extra[rule.name][line.sku] = extra[rule.name].get(line.sku, 0) + share * (fn * (lcm // fd) - lcm)
    for name in sorted(used):
        award.explanations.append(f"{used[name].label}: ×{used[name].definition['factor']}")
        award.rules.append(name)
    total_num = sum(numerators.values())
    rounding = b.get("rounding", "floor")
    total = (total_num // den if rounding == "floor" else -(-total_num // den) if rounding == "ceil"
             else (2 * total_num + den) // (2 * den))
    # Round the order's total once, then share it over the lines (largest remainders).
    award.by_sku = _share_int(numerators, den, total)
    for name, added in sorted(extra.items()):
        _charge_multiplier(award, used[name], added, den, budgets)
    for rule in active:
        if rule.kind == "fixed":
            line = next((l for l in lines if rule.covers(l)), None)
            if line is not None:
                pts = int(rule.definition["points"])
                if budgets is not None and "budget" in rule.definition:
                    pts = min(pts, max(budgets.get(rule.name, 0), 0))
                    award.budget_use[rule.name] = pts
                    if pts < rule.definition["points"]:
                        award.explanations.append(f"{rule.label}: budget spent, +{pts} of {rule.definition['points']}")
                        if pts <= 0:
                            continue
                award.by_sku[line.sku] = award.by_sku.get(line.sku, 0) + pts
                if pts == rule.definition["points"]:
                    award.explanations.append(f"{rule.label}: +{pts}")
                award.rules.append(rule.name)
    points = sum(award.by_sku.values())
    for rule in active:
        if rule.kind != "cap":
            continue
        limit = points
        if rule.definition.get("per_order") is not None:
            limit = min(limit, rule.definition["per_order"])
        if rule.definition.get("per_customer_day") is not None:
            limit = min(limit, max(rule.definition["per_customer_day"] - member.earned_today, 0))
        if limit < points:
            award.explanations.append(f"{rule.label}: capped at {limit}")
            award.rules.append(rule.name)
            award.by_sku = _scale(award.by_sku, limit, points)
            points = limit
    award.points = points
    _fit_budget_use(award)
    return award


def _charge_multiplier(award: Award, rule: _Compiled, added: dict[str, int], den: int,
                       budgets: dict[str, int]) -> None:
    """Hold a budgeted multiplier's extra points to what is left of its budget."""
    wanted = sum(added.values()) // den
    left = max(budgets.get(rule.name, 0), 0)
    charge = min(wanted, left)
    award.budget_use[rule.name] = charge
    if charge < wanted:
        cut = wanted - charge
        covered = {k: award.by_sku[k] for k in added if award.by_sku.get(k, 0) > 0}
        have = sum(covered.values())
        award.by_sku.update(_scale(covered, max(have - cut, 0), have))
        award.explanations.append(f"{rule.label}: budget spent, +{charge} of {wanted}")


def _fit_budget_use(award: Award) -> None:
    """A cap applied after the budgets: no budget is charged more than the order got."""
    over = sum(award.budget_use.values()) - award.points
    for name in sorted(award.budget_use, reverse=True):
        if over <= 0:
            break
        take = min(over, award.budget_use[name])
        award.budget_use[name] -= take
        over -= take


@functools.lru_cache(maxsize=256)
def _base_explanation(label: str, per, unit: int, currency: str) -> str:
    return f"{label}: {per} per {Fraction(unit, 100)} {currency}"


def _share_int(numerators: dict[str, int], den: int, total: int) -> dict[str, int]:
    out = {k: n // den for k, n in numerators.items()}
    short = total - sum(out.values())
    if short > 0:
        for k in sorted(numerators, key=lambda k: numerators[k] % den, reverse=True)[:short]:
            out[k] += 1
    elif short < 0:
        for k in sorted(numerators, key=lambda k: numerators[k] % den)[:-short]:
            out[k] -= 1
    return out


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
