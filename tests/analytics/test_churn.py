"""Churn: AUC by hand, the logistic fit (prospects use it), gradient boosting chosen only where it beats
P(alive) out of time (constructed shops where it does and where it does not), no leakage past a cutoff,
determinism, and the duel on CDNOW_master."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from guanxi.analytics import churn
from guanxi.analytics.cdnow import read_cdnow
from tests.analytics.conftest import cdnow_file


def test_auc_by_hand():
    assert churn.auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert churn.auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5   # ties count half
    assert churn.auc([3, 2, 1], [1, 1, 1]) is None


def test_logistic_regression_recovers_a_known_relation():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, len(churn.FEATURES)))
    true = 1.5 * X[:, 0] - 1.0 * X[:, 1]
    y = (rng.random(4000) < 1 / (1 + np.exp(-true))).astype(float)
    score = churn.fit_logistic(X, y, l2=0.1)
    w = score.weights
    assert w["log_recency_days"] == pytest.approx(1.5, abs=0.2)
    assert w["log_repeat_days"] == pytest.approx(-1.0, abs=0.2)
    assert churn.auc(score(X), y) > 0.8


def test_out_of_time_duel_on_cdnow_master(capsys):
    rows = list(read_cdnow(cdnow_file("CDNOW_master.txt")))
    result = churn.choose_model([r.customer_id for r in rows], [r.date for r in rows],
                                [r.amount_minor / 100 for r in rows], as_of=dt.date(1998, 6, 30), horizon_days=90)
    a = result["auc"]
    with capsys.disabled():
        print(f"\nCDNOW master, buys again within 90 days of 1998-03-31? AUC: P(alive) {a['p_alive']:.3f}, "
              f"BG/NBD expected purchases {a['expected_purchases']:.3f}, "
              f"gradient boosting {a['gradient_boosting']:.3f}")
    # P(alive) is 1 for everyone without a repeat purchase, most of whom never come back: as a
    # ranking of who will buy it is worse than chance here. The supervised model must win to be used.
    assert a["p_alive"] < 0.5 < a["expected_purchases"]
    assert a["gradient_boosting"] > a["p_alive"] and a["gradient_boosting"] > a["expected_purchases"] - 0.01
    assert result["use_model"] and len(result["risk"]) == 23570
    assert all(0 <= v <= 1 for v in result["risk"].values())


AS_OF = dt.date(2026, 6, 30)
H = 90


def _engaged_shop(n: int = 600, seed: int = 5, *, flip: bool = False):
    """Everyone bought once early; in each 90-day window a fresh random 40% are "warm" (an event in the
    30 days before the window opens) and buy with probability 0.9, the others with 0.05. Purchases say
    nothing about who buys next, engagement says it all. With ``flip`` the warm ones stop buying in the
    validation window: what was learnt in training is wrong later (season change)."""
    rng = np.random.default_rng(seed)
    end = np.datetime64(AS_OF, "D")
    starts = [end - 3 * H, end - 2 * H, end - H, end]   # earlier, training labels, validation labels, the future
    ids, days, amounts = [], [], []
    ev_ids, ev_days = [], []
    for c in range(n):
        ids.append(1000 + c)
        days.append(end - 3 * H - 60 - rng.integers(0, 200))
        amounts.append(float(rng.integers(20, 200)))
    for w, start in enumerate(starts):
        warm = rng.random(n) < 0.4
        for c in np.flatnonzero(warm):
            ev_ids.append(1000 + c)
            ev_days.append(start - rng.integers(1, 30))
        if w == 3:
            break  # as of the last cutoff only the events are known
        p = np.where(warm, 0.05 if flip and w == 2 else 0.9, 0.6 if flip and w == 2 else 0.05)
        for c in np.flatnonzero(rng.random(n) < p):
            ids.append(1000 + c)
            days.append(start + rng.integers(1, H))
            amounts.append(float(rng.integers(20, 200)))
    return ids, days, amounts, np.array(ev_ids), np.array(ev_days, dtype="datetime64[D]")


def _events_side(ev_ids, ev_days, calls: list | None = None):
    """Events in the 30 days up to each cutoff, per customer: what the customers domain reads."""
    def side(cutoff: dt.date, customer_ids: np.ndarray) -> dict[str, np.ndarray]:
        if calls is not None:
            calls.append((cutoff, customer_ids.copy()))
        day = np.datetime64(cutoff, "D")
        inside = (ev_days <= day) & (ev_days > day - 30)
        counted, counts = np.unique(ev_ids[inside], return_counts=True)
        lookup = dict(zip(counted.tolist(), counts.tolist()))
        return {"events_30d": np.array([lookup.get(c, 0) for c in customer_ids.tolist()], dtype=np.float64)}
    return side


def test_boosting_is_chosen_when_engagement_predicts_purchases():
    ids, days, amounts, ev_ids, ev_days = _engaged_shop()
    calls = []
    result = churn.choose_model(ids, days, amounts, as_of=AS_OF, horizon_days=H,
                                side=_events_side(ev_ids, ev_days, calls))
    a = result["auc"]
    assert a["gradient_boosting"] > 0.85 and a["p_alive"] < 0.65
    assert result["use_model"] and result["features"][-1] == "events_30d"
    # the side features are asked for as of each cutoff, for the customers known then
    assert [c for c, _ in calls] == list(churn.cutoffs(AS_OF, H))
    assert all(np.isin(known, ids).all() for _, known in calls)
    # the warm ones (an event in the last 30 days) get the lower risk
    warm = set(ev_ids[ev_days > np.datetime64(AS_OF, "D") - 30].tolist())
    risk = result["risk"]
    assert np.mean([risk[c] for c in warm]) + 0.5 < np.mean([v for c, v in risk.items() if c not in warm])
    # the purchase features alone have nothing to go on: P(alive) is kept
    plain = churn.choose_model(ids, days, amounts, as_of=AS_OF, horizon_days=H)
    assert plain["auc"]["gradient_boosting"] < 0.7
    assert plain["features"] == list(churn.FEATURES)


def test_boosting_is_not_chosen_when_what_it_learnt_no_longer_holds():
    ids, days, amounts, ev_ids, ev_days = _engaged_shop(flip=True)
    result = churn.choose_model(ids, days, amounts, as_of=AS_OF, horizon_days=H, side=_events_side(ev_ids, ev_days))
    a = result["auc"]
    assert a["gradient_boosting"] < a["p_alive"]
    assert result["use_model"] is False and "risk" not in result


def test_nothing_after_a_cutoff_changes_the_features_as_of_it():
    ids, days, amounts, ev_ids, ev_days = _engaged_shop(n=200)
    ids_in, cust = np.unique(np.asarray(ids), return_inverse=True)
    day = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
    amount = np.asarray(amounts)
    cutoff = int(np.datetime64(AS_OF, "D").astype(np.int64)) - 2 * H
    side = _events_side(ev_ids, ev_days)
    before = churn.snapshot(cust, day, amount, cutoff, H, ids=ids_in, side=side)
    # a big purchase the day after the cutoff by everyone, and an event the day after for everyone
    later = np.full(len(ids_in), cutoff + 1)
    side_later = _events_side(np.r_[ev_ids, ids_in], np.r_[ev_days, later.astype("datetime64[D]")])
    after = churn.snapshot(np.r_[cust, np.arange(len(ids_in))], np.r_[day, later],
                           np.r_[amount, np.full(len(ids_in), 9e3)], cutoff, H, ids=ids_in, side=side_later)
    assert np.array_equal(before.customers, after.customers) and np.array_equal(before.X, after.X)
    # and purchases after as_of change nothing in the result
    base = churn.choose_model(ids, days, amounts, as_of=AS_OF, horizon_days=H, side=side)
    late = churn.choose_model(ids + [ids[0], 99999], days + [np.datetime64(AS_OF, "D") + 1] * 2, amounts + [5.0, 5.0],
                              as_of=AS_OF, horizon_days=H, side=side)
    assert base == late


def test_same_input_same_scores():
    ids, days, amounts, ev_ids, ev_days = _engaged_shop(n=300, seed=9)
    side = _events_side(ev_ids, ev_days)
    first = churn.choose_model(ids, days, amounts, as_of=AS_OF, horizon_days=H, side=side)
    again = churn.choose_model(ids, days, amounts, as_of=AS_OF, horizon_days=H, side=side)
    assert first["use_model"] and first == again
    # subsampling the training rows is seeded too
    small = [churn.choose_model(ids, days, amounts, as_of=AS_OF, horizon_days=H, side=side, max_train_rows=120)
             for _ in range(2)]
    assert small[0] == small[1] and small[0]["auc"] != first["auc"]


def test_boosting_takes_missing_values_and_a_feature_nobody_has_yet():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=1000) > 0).astype(float)
    X[::4, 1] = np.nan      # some without a CSAT
    X[:, 2] = np.nan        # no CSAT answered by anyone yet
    score = churn.fit_boosting(X, y)
    assert churn.auc(score(X), y) > 0.9 and np.isfinite(score(X)).all()
