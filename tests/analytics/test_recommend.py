"""Recommendations: co-purchase pairs by hand, exclusions, and the offline evaluation on the demo shop."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.analytics import recommend
from guanxi.analytics.rec_evaluation import demo_rows, evaluate, evaluate_leave_last_out

# tea people buy tea and cups; one person buys everything
BUYS = [(1, "TEA"), (1, "CUP"), (2, "TEA"), (2, "CUP"), (3, "TEA"), (3, "CUP"), (4, "NUT"), (4, "PAN"),
        (5, "NUT"), (5, "PAN"), (6, "TEA"), (6, "CUP"), (6, "NUT"), (6, "PAN"), (6, "TEA")]


def test_pairs_by_hand():
    pairs = {(p.sku, p.other_sku): p for p in recommend.item_pairs(*zip(*BUYS))}
    tea_cup = pairs[("TEA", "CUP")]
    assert tea_cup.co_buyers == 4  # customers 1, 2, 3, 6 (6 bought tea twice: still one buyer)
    assert tea_cup.score == pytest.approx(4 / (4 * 4) ** 0.5)
    assert tea_cup.lift == pytest.approx(4 * 6 / (4 * 4))
    assert ("TEA", "NUT") not in pairs  # one co-buyer is below the minimum of two
    assert pairs[("CUP", "TEA")].score == tea_cup.score


def test_recommend_excludes_what_was_bought_and_prefers_the_basket():
    neighbours = recommend.neighbour_map(recommend.item_pairs(*zip(*BUYS)))
    popularity = {"TEA": 4.0, "CUP": 4.0, "NUT": 3.0, "PAN": 3.0, "NEW": 10.0}
    picks = recommend.recommend({"TEA"}, neighbours, popularity, 3)
    assert [p[0] for p in picks] == ["CUP", "NEW", "NUT"]
    assert picks[0][2] == "also_bought" and picks[1][2] == "popular"
    assert all(p[0] != "TEA" for p in recommend.recommend({"TEA"}, neighbours, popularity, 10))


def test_popular_in_category_puts_the_category_first():
    stats = [recommend.Popularity("A", "tea/green", 9, 9), recommend.Popularity("B", "ware/cups", 5, 5),
             recommend.Popularity("C", "tea/black", 1, 1)]
    assert recommend.popular_in_category(stats, "tea", 3) == ["A", "C", "B"]
    assert recommend.popular_in_category(stats, None, 2) == ["A", "B"]


@pytest.mark.parametrize("seed", [4, 5])  # seeds 1-3 chose POPULARITY_WEIGHT; these were not looked at
def test_recommender_beats_popularity_on_a_time_split_of_the_demo_shop(seed):
    result = evaluate(demo_rows(5000, seed), cutoff=dt.date(2026, 5, 1), horizon_days=90)
    assert result["customers_evaluated"] > 500
    ours, baseline = result["recommender"], result["popularity"]
    assert ours["hit_rate@10"] > baseline["hit_rate@10"]
    assert ours["precision@10"] > baseline["precision@10"]


def test_leave_last_out_holds_out_each_customers_last_day_only():
    d = dt.date
    rows = [("a", "X", "c", d(2026, 1, 1)), ("a", "Y", "c", d(2026, 2, 1)),   # a: last day brings Y
            ("b", "X", "c", d(2026, 1, 5)), ("b", "Y", "c", d(2026, 1, 5)),   # b: one day, trains only
            ("e", "X", "c", d(2026, 1, 2)), ("e", "X", "c", d(2026, 3, 1)),   # e: last day repeats X, no target
            ("f", "Z", "c", d(2026, 1, 3)), ("f", "Z", "c", d(2026, 1, 9)), ("f", "W", "c", d(2026, 1, 9))]
    result = evaluate_leave_last_out(rows, k=1)
    assert result["protocol"] == "leave-last-out"
    assert result["customers_evaluated"] == 2                     # a (target Y) and f (target W)
    assert result["train_rows"] == len(rows) - 4                  # the last days of a, e and f
    # trained: X by a, b, e; Y by b; Z by f. For a (has X) co-purchase (X→Y from b) and popularity (Y before Z
    # on the tie) both rank Y first: a hit. For f (has Z, which nobody else bought) both fall back to X: a miss.
    assert result["recommender"]["hit_rate@1"] == 0.5 and result["recommender"]["recall@1"] == 0.5
    assert result["popularity"]["hit_rate@1"] == 0.5
    again = evaluate_leave_last_out(rows + [("a", "Y", "c", d(2025, 12, 1))], k=1)
    assert again["customers_evaluated"] == 1                      # a had bought Y before: nothing new to find
