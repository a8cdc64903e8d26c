"""Earning rules: a pure function from an order, a member and the rules in force to points."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from guanxi.errors import Invalid
from guanxi.loyalty.rules import DEFAULT_BASE, LineFacts, MemberFacts, OrderFacts, evaluate, validate

WED = dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)   # Wednesday 11 Nov (Double 11), 10:00 in Shanghai
LIP = LineFacts("LIP-01", 2, 12900, "beauty/lips")
TEA = LineFacts("TEA-01", 1, 5000, "food/tea")


def order(*lines, total=None, shipping=0, **kw):
    total = sum(l.quantity * l.unit_price_minor for l in lines) + shipping if total is None else total
    return OrderFacts(placed_at=kw.pop("placed_at", WED), total_minor=total, shipping_minor=shipping,
                      lines=tuple(lines), **kw)


def test_base_points_per_unit_paid_excluding_shipping_and_rounding_down():
    award = evaluate(order(LIP, shipping=1000), MemberFacts(), {"base": DEFAULT_BASE})
    assert award.points == 258
    with_shipping = {**DEFAULT_BASE, "include_shipping": True}
    assert evaluate(order(LIP, shipping=1000), MemberFacts(), {"base": with_shipping}).points == 268
    assert evaluate(order(LineFacts("X", 1, 199)), MemberFacts(), {"base": DEFAULT_BASE}).points == 1
    assert evaluate(order(LineFacts("X", 1, 199)), MemberFacts(), {"base": {**DEFAULT_BASE, "rounding": "round"}}
                    ).points == 2


def test_discounts_are_spread_over_the_lines():
    # 308 list, 258 paid after a 50 discount: the tea line carries its share of the discount
    award = evaluate(order(LIP, TEA, total=25800, discount_minor=5000), MemberFacts(), {"base": DEFAULT_BASE})
    assert award.points == 258 and award.by_sku == {"LIP-01": 216, "TEA-01": 42}


def test_category_multiplier_on_a_date_range_with_an_explanation():
    rules = {"base": DEFAULT_BASE,
             "double11": {"kind": "multiplier", "factor": 2, "label": "2× on Beauty during Double 11",
                          "when": {"category": "beauty", "from": "2026-11-01", "to": "2026-11-11"}}}
    award = evaluate(order(LIP, TEA), MemberFacts(), rules)
    assert award.by_sku == {"LIP-01": 516, "TEA-01": 50}
    assert "2× on Beauty during Double 11: ×2" in award.explanations
    later = evaluate(order(LIP, placed_at=WED + dt.timedelta(days=1)), MemberFacts(), rules)
    assert later.points == 258


def test_member_day_counts_the_members_own_weekday():
    rules = {"base": DEFAULT_BASE, "member-day": {"kind": "multiplier", "factor": 3, "when": {"weekday": [3]}}}
    late = dt.datetime(2026, 11, 11, 20, 0, tzinfo=dt.UTC)  # Thursday in Shanghai, Wednesday in New York
    assert evaluate(order(TEA, placed_at=late), MemberFacts("Asia/Shanghai"), rules).points == 50
    assert evaluate(order(TEA, placed_at=late), MemberFacts("America/New_York"), rules).points == 150


def test_fixed_points_for_a_first_order_sku_and_channel():
    rules = {"base": DEFAULT_BASE,
             "welcome": {"kind": "fixed", "points": 200, "when": {"first_order": True}},
             "tea": {"kind": "fixed", "points": 30, "when": {"sku": "TEA-01", "channel": ["wechat"]}}}
    assert evaluate(order(TEA, first_order=True, channel="wechat"), MemberFacts(), rules).points == 280
    assert evaluate(order(TEA, channel="douyin"), MemberFacts(), rules).points == 50


def test_caps_per_order_and_per_customer_day():
    rules = {"base": DEFAULT_BASE, "cap": {"kind": "cap", "per_order": 100}}
    award = evaluate(order(LIP, TEA), MemberFacts(), rules)
    assert award.points == 100 and sum(award.by_sku.values()) == 100
    day = {"base": DEFAULT_BASE, "cap": {"kind": "cap", "per_customer_day": 300}}
    assert evaluate(order(LIP), MemberFacts(earned_today=250), day).points == 50
    assert evaluate(order(LIP), MemberFacts(earned_today=400), day).points == 0


def test_no_base_rule_earns_nothing():
    assert evaluate(order(LIP), MemberFacts(), {}).points == 0


@pytest.mark.parametrize("rule", [
    {"kind": "bonus"}, {"kind": "base", "points_per_unit": -1}, {"kind": "multiplier", "factor": "2"},
    {"kind": "fixed", "points": 10, "when": {"colour": "red"}}, {"kind": "cap"},
    {"kind": "multiplier", "factor": 2, "when": {"from": "11/11"}},
    {"kind": "multiplier", "factor": 2, "when": {"weekday": [0]}},
    {"kind": "base", "rounding": "bankers"},
])
def test_invalid_rules_are_refused_with_the_field(rule):
    with pytest.raises(Invalid) as info:
        validate(rule)
    assert info.value.errors


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 100_000), st.sampled_from(["a", "b/c", None])),
                      min_size=1, max_size=6),
       discount=st.integers(0, 100), shipping=st.integers(0, 2000), cap=st.integers(0, 5000))
def test_points_are_never_negative_and_never_above_a_cap(lines, discount, shipping, cap):
    facts = tuple(LineFacts(f"S{i}", q, p, c) for i, (q, p, c) in enumerate(lines))
    gross = sum(q * p for q, p, _ in lines)
    paid = gross * (100 - discount) // 100 + shipping
    rules = {"base": DEFAULT_BASE, "x": {"kind": "multiplier", "factor": 1.5, "when": {"category": "b"}},
             "cap": {"kind": "cap", "per_order": cap}}
    award = evaluate(order(*facts, total=paid, shipping=shipping), MemberFacts(), rules)
    assert 0 <= award.points <= cap
    assert sum(award.by_sku.values()) == award.points


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 100_000), st.sampled_from(["a", "b/c", None])),
                      min_size=1, max_size=6),
       shipping=st.integers(0, 2000), discount=st.integers(0, 90),
       factor=st.sampled_from([1.2, 1.5, 2, 3, 0.5]), per=st.integers(1, 7), unit=st.sampled_from([1, 100, 300, 1000]),
       rounding=st.sampled_from(["floor", "ceil", "round"]))
def test_points_match_exact_arithmetic(lines, shipping, discount, factor, per, unit, rounding):
    from fractions import Fraction
    import math

    facts = tuple(LineFacts(f"S{i}", q, p, c) for i, (q, p, c) in enumerate(lines))
    gross = sum(q * p for q, p, _ in lines)
    paid = gross * (100 - discount) // 100
    rules = {"base": {"kind": "base", "points_per_unit": per, "unit_minor": unit, "rounding": rounding},
             "x": {"kind": "multiplier", "factor": factor, "when": {"category": "b"}}}
    award = evaluate(order(*facts, total=paid + shipping, shipping=shipping), MemberFacts(), rules)
    f = Fraction(str(factor))
    exact = sum(Fraction(paid * q * p, gross) * Fraction(per, unit) * (f if c == "b/c" and f > 1 else 1)
                for q, p, c in lines)
    expected = {"floor": math.floor(exact), "ceil": math.ceil(exact), "round": math.floor(exact + Fraction(1, 2))}
    assert award.points == expected[rounding]
    assert sum(award.by_sku.values()) == award.points
