"""Sentiment and aspects: the overrides, negation, questions, and the evaluation set against the plain libraries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guanxi.social import aspects, evaluation, sentiment

EVAL = Path(__file__).parent / "data" / "eval.jsonl"


@pytest.mark.parametrize("text", [
    "包装很漂亮，客服也很热情，但是东西是假的，要求退款。",
    "质量很好很好很好，就是要求退款",
    "已经向12315投诉了，态度再好也没用",
    "Lovely packaging, amazing price, great service, but it's a counterfeit.",
    "Beautiful, wonderful dress, but please refund my money.",
    "Great seller, I want my money back though.",
])
def test_refunds_and_counterfeits_are_negative_whatever_the_words_around_them(text):
    got = sentiment.score(text)
    assert got.label == "negative" and got.score <= sentiment.OVERRIDE_SCORE and got.override


@pytest.mark.parametrize("text", [
    "不是假货，放心买，质量很好！", "Not a fake at all, genuine and lovely.", "Arrived quickly, no complaints.",
    "退换货很方便，客服处理得很及时，点赞。", "The return was easy and the refund came the next day, great service.",
])
def test_negated_or_settled_accusations_do_not_fire(text):
    got = sentiment.score(text)
    assert got.override is None and got.label == "positive"


@pytest.mark.parametrize("text,label", [
    ("请问什么时候发货？", "neutral"), ("When will my order ship?", "neutral"),
    ("质量不好", "negative"), ("不差，挺好的", "positive"), ("非常失望", "negative"),
    ("物流很快，质量很好", "positive"), ("Stopped working after two days.", "negative"),
])
def test_labels(text, label):
    assert sentiment.score(text).label == label


def test_scores_are_bounded_and_language_is_detected():
    for text in ["好", "差差差差差差差差差差", "great " * 50, "terrible awful " * 30, "", "   "]:
        got = sentiment.score(text)
        assert -1.0 <= got.score <= 1.0
    assert sentiment.language_of("物流很快 fast") == "zh"
    assert sentiment.language_of("Fast shipping") == "en"


def test_aspects_carry_the_sentiment_of_their_own_clause():
    got = aspects.aspects("物流很快，但是质量太差了")
    assert got["logistics"] > 0.2 and got["quality"] < -0.2
    got = aspects.aspects("Fast shipping, but the price is way overpriced.")
    assert got["logistics"] > 0 and got["price"] < 0
    assert aspects.aspects("请问几点开播") == {}


def test_keywords_are_content_words():
    assert "质量" in aspects.keywords("质量太差了，但是物流很快")
    assert "但是" not in aspects.keywords("质量太差了，但是物流很快")


def test_evaluation_set_is_balanced_hand_labelled_and_large_enough():
    rows = evaluation.load(EVAL)
    assert len(rows) >= 300
    counts = {}
    for r in rows:
        assert set(r) == {"lang", "label", "text"} and r["label"] in sentiment.LABELS
        counts[(r["lang"], r["label"])] = counts.get((r["lang"], r["label"]), 0) + 1
    assert len(counts) == 6 and min(counts.values()) >= 50
    assert len({r["text"] for r in rows}) == len(rows)


def test_figures_are_computed_as_defined():
    f = evaluation.figures(["positive", "negative", "neutral", "neutral"], ["positive", "neutral", "neutral", "neutral"])
    assert f.accuracy == 0.75
    assert f.macro_f1 == pytest.approx((1 + 0 + 0.8) / 3)


def test_ours_beats_the_plain_library_baseline_on_the_evaluation_set():
    rows = evaluation.load(EVAL)
    ours = evaluation.evaluate(rows, sentiment.score)
    base = evaluation.evaluate(rows, sentiment.baseline)
    print("\nsentiment evaluation:", json.dumps({"ours": {k: v.as_dict() for k, v in ours.items()},
                                                "baseline": {k: v.as_dict() for k, v in base.items()}}))
    for part in ("all", "zh", "en"):
        assert ours[part].accuracy > base[part].accuracy
        assert ours[part].macro_f1 > base[part].macro_f1
    assert ours["all"].macro_f1 >= 0.85
