"""The rule language of live segments: parsed once, evaluated in SQL (and in Python, for tests).

A rule is a condition or a group:

    {"field": "clv", "op": ">=", "value": 1000}
    {"all": [rule, ...]}        every rule holds (AND)
    {"any": [rule, ...]}        at least one holds (OR)

Operators: = != < <= > >= in not_in. A customer whose field is empty (no score yet, no city)
matches no condition on that field, "!=" and "not_in" included: SQL's NULL semantics, stated
so that the Python evaluator and the database agree. Money fields are in minor units.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from guanxi.analytics.lifecycle import STAGES
from guanxi.analytics.rfm import SEGMENTS
from guanxi.errors import Invalid

MAX_CONDITIONS = 50
MAX_DEPTH = 5
MAX_LIST = 200

NUMBER, TEXT = "number", "text"
# field -> (kind, allowed values or None)
FIELDS: dict[str, tuple[str, frozenset | None]] = {
    "segment": (TEXT, frozenset(s.value for s in SEGMENTS)),
    "lifecycle_stage": (TEXT, frozenset(s.value for s in STAGES)),
    "recency_score": (NUMBER, None),
    "frequency_score": (NUMBER, None),
    "monetary_score": (NUMBER, None),
    "recency_days": (NUMBER, None),
    "orders": (NUMBER, None),
    "window_orders": (NUMBER, None),
    "window_spend": (NUMBER, None),
    "clv": (NUMBER, None),
    "p_alive": (NUMBER, None),
    "churn_risk": (NUMBER, None),
    "expected_purchases": (NUMBER, None),
    "city": (TEXT, None),
    "channel": (TEXT, None),
    "gender": (TEXT, None),
    # derived traits (analytics_customer_traits; see customer_traits)
    "price_sensitivity": (NUMBER, None),
    "discount_share": (NUMBER, None),
    "preferred_channel": (TEXT, None),
    "preferred_hour": (NUMBER, None),
    "p_first_order": (NUMBER, None),
    "expected_first_order": (NUMBER, None),
    "growth_potential": (NUMBER, None),
    "growth_band": (TEXT, frozenset({"low", "medium", "high"})),
}
COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
           ">=": operator.ge}
OPS = frozenset(COMPARE) | {"in", "not_in"}
TEXT_OPS = frozenset({"=", "!=", "in", "not_in"})


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    kind: str  # "all" | "any"
    rules: tuple


Rule = Condition | Group


def parse(data: Any) -> Rule:
    """Check a rule as sent (JSON) and return its parsed form; Invalid names the faulty place."""
    count = [0]
    return _parse(data, ["rule"], 1, count)


def _parse(data: Any, loc: list, depth: int, count: list[int]) -> Rule:
    def bad(msg: str, where: list | None = None):
        raise Invalid(f"segment rule: {msg}", errors=[{"loc": where or loc, "msg": msg}])

    if not isinstance(data, dict):
        bad("a rule is an object: a condition or {\"all\": [...]} / {\"any\": [...]}")
    if depth > MAX_DEPTH:
        bad(f"groups nest at most {MAX_DEPTH} deep")
    groups = [k for k in ("all", "any") if k in data]
    if groups:
        if len(data) != 1:
            bad("a group has exactly one key, \"all\" or \"any\"")
        kind = groups[0]
        items = data[kind]
        if not isinstance(items, list) or not items:
            bad("a group lists at least one rule", [*loc, kind])
        return Group(kind, tuple(_parse(item, [*loc, kind, i], depth + 1, count) for i, item in enumerate(items)))
    if set(data) != {"field", "op", "value"}:
        bad("a condition has exactly \"field\", \"op\" and \"value\"")
    count[0] += 1
    if count[0] > MAX_CONDITIONS:
        bad(f"at most {MAX_CONDITIONS} conditions")
    field, op, value = data["field"], data["op"], data["value"]
    if field not in FIELDS:
        bad(f"unknown field {field!r}; use one of {', '.join(FIELDS)}", [*loc, "field"])
    kind, allowed = FIELDS[field]
    if op not in OPS or (kind == TEXT and op not in TEXT_OPS):
        ops = TEXT_OPS if kind == TEXT else OPS
        bad(f"{field} takes the operators {', '.join(sorted(ops))}", [*loc, "op"])
    values = value if op in ("in", "not_in") else [value]
    if op in ("in", "not_in") and (not isinstance(value, list) or not 0 < len(value) <= MAX_LIST):
        bad(f"{op} takes a list of 1 to {MAX_LIST} values", [*loc, "value"])
    for v in values:
        ok = (isinstance(v, (int, float)) and not isinstance(v, bool)) if kind == NUMBER else isinstance(v, str)
        if not ok:
            bad(f"{field} compares with {'numbers' if kind == NUMBER else 'text'}, not {v!r}", [*loc, "value"])
        if allowed is not None and v not in allowed:
            bad(f"{v!r} is not a {field}; use one of {', '.join(sorted(allowed))}", [*loc, "value"])
    return Condition(field, op, tuple(value) if op in ("in", "not_in") else value)


def fields_used(rule: Rule) -> set[str]:
    if isinstance(rule, Condition):
        return {rule.field}
    return set().union(*(fields_used(r) for r in rule.rules))


def to_sql(rule: Rule, columns: Mapping[str, ColumnElement]) -> ColumnElement:
    """The rule as a SQL boolean expression over ``columns`` (field name -> column)."""
    if isinstance(rule, Group):
        parts = [to_sql(r, columns) for r in rule.rules]
        return and_(true(), *parts) if rule.kind == "all" else or_(false(), *parts)
    col = columns[rule.field]
    if rule.op == "in":
        return col.in_(list(rule.value))
    if rule.op == "not_in":
        # NOT IN is NULL for a NULL column on every backend, so it excludes empty fields as documented.
        return col.not_in(list(rule.value))
    return COMPARE[rule.op](col, rule.value)


def matches(rule: Rule, row: Mapping[str, Any]) -> bool:
    """The same rule evaluated on one customer's values in Python (the reference for the SQL)."""
    if isinstance(rule, Group):
        results = (matches(r, row) for r in rule.rules)
        return all(results) if rule.kind == "all" else any(results)
    value = row.get(rule.field)
    if value is None:
        return False
    if rule.op == "in":
        return value in rule.value
    if rule.op == "not_in":
        return value not in rule.value
    return COMPARE[rule.op](value, rule.value)
