"""Pure service rules: priority matrix, status machine, category suggestion, round-robin."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from guanxi.errors import Conflict, Invalid
from guanxi.service import assignment, priority, status, taxonomy
from guanxi.service.assignment import Candidate


@pytest.mark.parametrize("importance, urgency, expected", [
    ("high", "high", "P1"), ("high", "medium", "P2"), ("high", "low", "P2"),
    ("medium", "high", "P2"), ("medium", "medium", "P3"), ("medium", "low", "P3"),
    ("low", "high", "P3"), ("low", "medium", "P4"), ("low", "low", "P4"),
])
def test_priority_matrix(importance, urgency, expected):
    assert priority.priority_of(importance, urgency) == expected


@pytest.mark.parametrize("base, vip", [("P4", "P3"), ("P3", "P2"), ("P2", "P1"), ("P1", "P1")])
def test_vip_bumps_one_step(base, vip):
    imp, urg = next((i, u) for i in priority.LEVELS for u in priority.LEVELS if priority.MATRIX[i][priority.LEVELS.index(u)] == base)
    assert priority.priority_of(imp, urg, vip=True) == vip


@given(st.sampled_from(priority.LEVELS), st.sampled_from(priority.LEVELS), st.sampled_from(priority.LEVELS))
def test_more_urgent_never_lowers_priority(importance, u1, u2):
    lo, hi = sorted([u1, u2], key=priority.LEVELS.index)
    assert priority.priority_of(importance, hi) <= priority.priority_of(importance, lo)


def test_unknown_level_is_refused():
    with pytest.raises(ValueError):
        priority.priority_of("huge", "low")


@pytest.mark.parametrize("current, target", [
    ("new", "open"), ("open", "waiting"), ("waiting", "open"), ("open", "on_hold"), ("on_hold", "resolved"),
    ("resolved", "closed"), ("resolved", "open"), ("closed", "open"),
])
def test_allowed_moves(current, target):
    status.check_move(current, target)


@pytest.mark.parametrize("current, target", [
    ("new", "closed"), ("closed", "resolved"), ("closed", "waiting"), ("open", "new"), ("open", "bogus"),
])
def test_refused_moves(current, target):
    with pytest.raises(Conflict):
        status.check_move(current, target)


NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("current, closed_days_ago, expected", [
    ("waiting", None, "open"), ("resolved", None, "open"), ("open", None, "open"), ("on_hold", None, "on_hold"),
    ("closed", 3, "open"), ("closed", 7, "open"), ("closed", 8, None),
])
def test_customer_reply_reopens_within_the_window(current, closed_days_ago, expected):
    closed_at = NOW - dt.timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    assert status.status_after_customer_reply(current, closed_at=closed_at, now=NOW, reopen_days=7) == expected


@pytest.mark.parametrize("text, category, subcategory", [
    ("收到的衣服掉色很严重，质量太差了", "product", "quality"),
    ("The blender stopped working after two days, clearly defective", "product", "quality"),
    ("实物和图片不一样，色差很大", "product", "not_as_described"),
    ("这是假货吧，根本不是正品", "product", "counterfeit"),
    ("I think this is a fake, not genuine at all", "product", "counterfeit"),
    ("下单一周了还没到，物流太慢了", "logistics", "late"),
    ("My order is delayed and has not arrived yet", "logistics", "late"),
    ("快递外箱破损，杯子碎了", "logistics", "damaged"),
    ("The parcel came crushed and the bottle was leaking", "logistics", "damaged"),
    ("物流显示签收但是我没收到，包裹丢了", "logistics", "lost"),
    ("客服一直不回复，等了很久", "service", "slow"),
    ("客服态度很差，很不耐烦", "service", "attitude"),
    ("The agent was rude and unhelpful", "service", "attitude"),
    ("我要申请售后换货", "service", "after_sales"),
    ("App一打开就闪退", "system", "site_app"),
    ("付款时被重复扣款了，扣了两次", "system", "payment"),
    ("I was charged twice for one order", "system", "payment"),
    ("登录的时候收不到验证码", "system", "account"),
    ("I can't log in, password reset does not work", "system", "account"),
])
def test_category_suggestion(text, category, subcategory):
    s = taxonomy.suggest(text)
    assert s is not None
    assert (s.category, s.subcategory) == (category, subcategory)
    assert 0 < s.confidence <= 1


def test_no_keyword_no_suggestion():
    assert taxonomy.suggest("你好") is None
    assert taxonomy.suggest("") is None


def test_english_keywords_match_whole_words():
    assert taxonomy.suggest("the pagesize option") is None  # "page" inside a word does not count


def test_confidence_grows_with_agreement_and_falls_with_ambiguity():
    one = taxonomy.suggest("质量不好")
    many = taxonomy.suggest("质量不好，有瑕疵，是次品，用不了")
    mixed = taxonomy.suggest("质量不好，快递也很慢还没到")
    assert many.confidence > one.confidence
    assert mixed.confidence < many.confidence


def test_edited_rules_are_used():
    rules = [*taxonomy.DEFAULT_RULES, taxonomy.Rule("product", "allergy", "Allergy", "过敏", ("过敏", "allergic"))]
    assert taxonomy.suggest("用了以后皮肤过敏", rules).subcategory == "allergy"


def test_accuracy():
    acc = taxonomy.accuracy([("product.quality", "product.quality"), ("logistics.late", "logistics.lost"),
                             (None, "system.payment"), ("system.account", "system.account")])
    assert (acc.suggested, acc.correct) == (3, 2)
    assert acc.rate == pytest.approx(2 / 3)
    assert taxonomy.accuracy([]).rate is None


def _rr(agents, rounds, category="product", sub="quality"):
    """Assign `rounds` tickets one after another, each adding load and a timestamp."""
    agents = {a.agent_id: a for a in agents}
    order = []
    for i in range(rounds):
        chosen = assignment.pick(list(agents.values()), category, sub)
        order.append(chosen)
        if chosen is None:
            continue
        a = agents[chosen]
        agents[chosen] = Candidate(a.agent_id, a.skills, a.open_tickets + 1, a.max_open,
                                   NOW + dt.timedelta(minutes=i), a.available)
    return order


def test_round_robin_is_fair():
    agents = [Candidate(i, frozenset({"*"}), 0) for i in (1, 2, 3)]
    order = _rr(agents, 9)
    assert order == [1, 2, 3] * 3


def test_least_loaded_agent_first():
    agents = [Candidate(1, frozenset({"*"}), 5), Candidate(2, frozenset({"*"}), 1), Candidate(3, frozenset({"*"}), 3)]
    assert _rr(agents, 3) == [2, 2, 3]


def test_skill_is_required():
    agents = [Candidate(1, frozenset({"logistics"}), 0), Candidate(2, frozenset({"product.quality"}), 4),
              Candidate(3, frozenset({"system"}), 0)]
    assert assignment.pick(agents, "product", "quality") == 2
    assert assignment.pick(agents, "product", "counterfeit") is None
    assert assignment.pick(agents, "logistics", "late") == 1


def test_full_or_absent_agents_are_skipped():
    agents = [Candidate(1, frozenset({"*"}), 3, max_open=3), Candidate(2, frozenset({"*"}), 9, available=False),
              Candidate(3, frozenset({"*"}), 7)]
    assert assignment.pick(agents, "service", "slow") == 3


@given(st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=60))
def test_round_robin_loads_never_differ_by_more_than_one(n_agents, n_tickets):
    agents = [Candidate(i, frozenset({"*"}), 0) for i in range(1, n_agents + 1)]
    order = _rr(agents, n_tickets)
    counts = [order.count(i) for i in range(1, n_agents + 1)]
    assert max(counts) - min(counts) <= 1


def test_canned_reply_in_both_languages():
    from guanxi.service import canned

    zh = canned.render("apology", "zh-CN", customer="王芳", ticket=7, agent="Ann")
    en = canned.render("apology", "en", customer="Wang Fang", ticket=7, agent="Ann")
    assert zh.startswith("王芳 您好") and "#7" in zh
    assert en.startswith("Dear Wang Fang") and en.endswith("— Ann")
    assert "3 个工作日" in canned.render("refund_done", "zh-CN", customer="王芳", agent="Ann")
    assert canned.CANNED["need_photo"].status == "waiting"
    with pytest.raises(Invalid):
        canned.render("nope", "en")
    with pytest.raises(Invalid):
        canned.render("apology", "en", secret="x")
