"""Event rules and campaign budgets as pure functions: limits, streaks in the member's zone, budgets that run out."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.errors import Invalid
from guanxi.loyalty import event_rules, gifts, rules
from guanxi.loyalty.event_rules import RuleHistory
from guanxi.loyalty.rules import LineFacts, MemberFacts, OrderFacts

SH = "Asia/Shanghai"   # UTC+8
CHECK_IN = {"checkin": {"kind": "event", "event": "check_in", "points": 5, "streak": {"days": 3, "bonus": 30},
                        "label": "Check-in"}}


def at(y, m, d, hh=12, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=dt.UTC)


def test_a_check_in_before_and_after_local_midnight_are_two_days_of_one_streak():
    # 15:50 UTC is 23:50 in Shanghai on the 1st; 16:10 UTC the same UTC day is 00:10 on the 2nd.
    first = event_rules.evaluate("check_in", at(2026, 12, 1, 15, 50), SH, CHECK_IN, {})
    assert (first.points, first.local_day) == (5, dt.date(2026, 12, 1))
    second = event_rules.evaluate("check_in", at(2026, 12, 1, 16, 10), SH, CHECK_IN,
                                  {"checkin": RuleHistory(today=0, lifetime=1, days=frozenset({dt.date(2026, 12, 1)}))})
    assert (second.points, second.local_day) == (5, dt.date(2026, 12, 2))
    third = event_rules.evaluate("check_in", at(2026, 12, 2, 16, 10), SH, CHECK_IN, {"checkin": RuleHistory(
        lifetime=2, days=frozenset({dt.date(2026, 12, 1), dt.date(2026, 12, 2)}))})
    assert third.points == 5 + 30 and "Check-in: 3-day streak +30" in third.explanations


def test_a_second_check_in_on_the_same_local_day_earns_nothing_even_on_another_utc_day():
    # 16:10 UTC on the 1st and 15:50 UTC on the 2nd are both the 2nd in Shanghai.
    seen = RuleHistory(today=1, this_month=1, lifetime=1, days=frozenset())
    again = event_rules.evaluate("check_in", at(2026, 12, 2, 15, 50), SH, CHECK_IN, {"checkin": seen})
    assert again.points == 0 and again.explanations == ["Check-in: per day limit 1 reached"]


def test_a_missed_day_starts_the_streak_again():
    days = frozenset({dt.date(2026, 12, 1), dt.date(2026, 12, 2)})          # nothing on the 3rd
    fourth = event_rules.evaluate("check_in", at(2026, 12, 4), SH, CHECK_IN, {"checkin": RuleHistory(lifetime=2, days=days)})
    assert fourth.points == 5
    assert event_rules.streak_length(dt.date(2026, 12, 4), days) == 1
    assert event_rules.streak_length(dt.date(2026, 12, 3), days) == 3
    # the bonus comes again at the 6th consecutive day
    six = frozenset(dt.date(2026, 12, d) for d in range(1, 6))
    assert event_rules.evaluate("check_in", at(2026, 12, 6), SH, CHECK_IN,
                                {"checkin": RuleHistory(lifetime=5, days=six)}).points == 35


def test_limits_per_day_month_and_lifetime():
    share = {"share": {"kind": "event", "event": "share", "points": 10,
                       "limits": {"per_day": 2, "per_month": 3, "lifetime": 5}}}
    ok = event_rules.evaluate("share", at(2026, 12, 5), SH, share, {"share": RuleHistory(today=1, this_month=2, lifetime=2)})
    assert ok.points == 10
    day = event_rules.evaluate("share", at(2026, 12, 5), SH, share, {"share": RuleHistory(today=2, this_month=2, lifetime=2)})
    month = event_rules.evaluate("share", at(2026, 12, 5), SH, share, {"share": RuleHistory(today=0, this_month=3, lifetime=3)})
    life = event_rules.evaluate("share", at(2026, 12, 5), SH, share, {"share": RuleHistory(lifetime=5)})
    assert (day.points, month.points, life.points) == (0, 0, 0)
    assert day.explanations == ["share: per day limit 2 reached"]
    assert month.explanations == ["share: per month limit 3 reached"]
    assert life.explanations == ["share: lifetime limit 5 reached"]
    # another kind of event is not this rule's business
    assert event_rules.evaluate("survey_answered", at(2026, 12, 5), SH, share, {}).points == 0


def test_a_birthday_rule_gives_once_a_year():
    bday = {"bday": {"kind": "event", "event": "birthday", "points": 200}}
    assert event_rules.evaluate("birthday", at(2027, 2, 28), SH, bday, {}).points == 200
    again = event_rules.evaluate("birthday", at(2027, 3, 1), SH, bday, {"bday": RuleHistory(this_year=1, lifetime=1)})
    assert again.points == 0 and again.explanations == ["bday: once a year"]


def test_an_event_budget_gives_what_is_left_then_nothing():
    sign_up = {"welcome": {"kind": "event", "event": "sign_up", "points": 100, "budget": 250, "label": "Welcome"}}
    left = 250
    got = []
    for _ in range(4):
        award = event_rules.evaluate("sign_up", at(2026, 12, 5), SH, sign_up, {}, budgets={"welcome": left})
        got.append(award.points)
        left -= award.budget_use["welcome"]
    assert got == [100, 100, 50, 0] and left == 0
    assert event_rules.evaluate("sign_up", at(2026, 12, 5), SH, sign_up, {}, budgets={"welcome": 0}).explanations == [
        "Welcome: budget spent, +0 of 100"]


def order(total=10000, sku="LIP", category="beauty/lips"):
    return OrderFacts(placed_at=at(2026, 11, 11), total_minor=total, lines=(LineFacts(sku, 1, total, category),))


def test_a_fixed_rule_budget_is_charged_and_clips_the_last_order():
    book = {"base": dict(rules.DEFAULT_BASE), "d11": {"kind": "fixed", "points": 300, "budget": 500, "label": "Double 11"}}
    first = rules.evaluate(order(), MemberFacts(SH), book, budgets={"d11": 500})
    assert (first.points, first.budget_use) == (100 + 300, {"d11": 300})
    second = rules.evaluate(order(), MemberFacts(SH), book, budgets={"d11": 200})
    assert (second.points, second.budget_use) == (100 + 200, {"d11": 200})
    assert "Double 11: budget spent, +200 of 300" in second.explanations
    third = rules.evaluate(order(), MemberFacts(SH), book, budgets={"d11": 0})
    assert (third.points, third.budget_use["d11"]) == (100, 0)
    # without budgets (a preview) the rule gives in full
    assert rules.evaluate(order(), MemberFacts(SH), book).points == 400


def test_a_multiplier_budget_limits_only_the_extra_points():
    book = {"base": dict(rules.DEFAULT_BASE),
            "x3": {"kind": "multiplier", "factor": 3, "when": {"category": "beauty"}, "budget": 1000}}
    full = rules.evaluate(order(10000), MemberFacts(SH), book, budgets={"x3": 1000})
    assert (full.points, full.budget_use) == (300, {"x3": 200})
    part = rules.evaluate(order(10000), MemberFacts(SH), book, budgets={"x3": 50})
    assert (part.points, part.budget_use, sum(part.by_sku.values())) == (150, {"x3": 50}, 150)
    spent = rules.evaluate(order(10000), MemberFacts(SH), book, budgets={"x3": 0})
    assert spent.points == 100


def test_event_gift_and_budget_rules_are_validated_with_the_field_at_fault():
    rules.validate({"kind": "event", "event": "check_in", "points": 5, "streak": {"days": 7, "bonus": 50},
                    "limits": {"per_month": 31}, "budget": 1000})
    rules.validate({"kind": "gift", "period": "month", "min_spend_minor": 50000, "currency": "CNY", "reward_id": 1})
    for bad, field in [({"kind": "event", "event": "dance", "points": 5}, "event"),
                       ({"kind": "event", "event": "share", "points": -1}, "points"),
                       ({"kind": "event", "event": "share", "points": 1, "limits": {"per_week": 1}}, "limits.per_week"),
                       ({"kind": "event", "event": "share", "points": 1, "streak": {"days": 3, "bonus": 1}}, "streak"),
                       ({"kind": "fixed", "points": 1, "budget": -5}, "budget"),
                       ({"kind": "cap", "per_order": 5, "budget": 5}, "budget"),
                       ({"kind": "gift", "period": "week", "min_spend_minor": 1, "currency": "CNY", "reward_id": 1},
                        "period"),
                       ({"kind": "gift", "period": "order", "min_spend_minor": 1, "currency": "yuan", "reward_id": 1},
                        "currency")]:
        with pytest.raises(Invalid) as exc:
            rules.validate(bad)
        assert exc.value.errors[0]["loc"][-1] == field, bad


def test_a_calendar_month_is_the_members_local_month():
    # 2026-11-30 17:00 UTC is already 1 December in Shanghai.
    key, start, end = gifts.month_of(at(2026, 11, 30, 17, 0), SH)
    assert key == "2026-12"
    assert start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC) and end == dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)
