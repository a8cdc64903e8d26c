"""Fake-review signals on constructed reviews."""

from __future__ import annotations

import datetime as dt

from guanxi.social import fraud
from guanxi.social.fraud import ReviewFacts

T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def r(key, text, author, minutes=0, age_days=400, product="SKU-1", rating=None, label=None):
    return ReviewFacts(key, text, author, T0 + dt.timedelta(minutes=minutes), T0 - dt.timedelta(days=age_days),
                       product, rating, label)


def test_near_duplicate_texts_from_different_authors_are_flagged():
    items = [r(1, "质量非常好，物流也快，推荐大家购买！", "a"), r(2, "质量非常好，物流也快，推荐大家购买!!", "b"),
             r(3, "颜色很正，尺码合适，老公很喜欢。", "c")]
    assert fraud.duplicates(items) == {1, 2}


def test_the_same_author_repeating_themselves_and_short_texts_are_not_duplicates():
    assert fraud.duplicates([r(1, "很好很好很好很好很好", "a"), r(2, "很好很好很好很好很好", "a")]) == set()
    assert fraud.duplicates([r(1, "好评", "a"), r(2, "好评", "b")]) == set()


def test_a_burst_from_new_accounts_about_one_product_is_flagged():
    burst = [r(i, f"text {i}", f"new{i}", minutes=i * 5, age_days=3) for i in range(5)]
    old = [r(10 + i, f"text {i}", f"old{i}", minutes=i * 5) for i in range(5)]
    assert fraud.bursts(burst + old) == {0, 1, 2, 3, 4}
    assert fraud.bursts(old) == set()
    spread = [r(i, "x", f"new{i}", minutes=i * 30, age_days=3) for i in range(5)]  # two hours: no burst
    assert fraud.bursts(spread) == set()


def test_rating_and_text_that_disagree():
    assert fraud.mismatch(5, "negative") and fraud.mismatch(1, "positive")
    assert not fraud.mismatch(1, "negative") and not fraud.mismatch(None, "negative") and not fraud.mismatch(3, "positive")


def test_signals_combine():
    items = [r(1, "质量非常好，物流也快，推荐大家购买！", "a", rating=1, label="positive"),
             r(2, "质量非常好，物流也快，推荐大家购买！", "b")]
    assert fraud.signals(items) == {1: [fraud.DUPLICATE, fraud.MISMATCH], 2: [fraud.DUPLICATE]}


def test_minhash_candidates_find_near_duplicates_among_many_distinct_texts():
    import random

    rng = random.Random(3)
    words = list("质量物流服务价格颜色尺码包装味道客服发货快递好差新鲜正品")
    items = [r(i, "".join(rng.choice(words) for _ in range(30)), f"u{i}") for i in range(1500)]
    items.append(r("copy", items[700].text[:-1] + "！", "someone-else"))
    assert fraud.duplicates(items) == {700, "copy"}
