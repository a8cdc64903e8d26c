"""Churn: AUC by hand, the logistic fit, and the out-of-time duel with P(alive) on CDNOW_master."""

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
              f"BG/NBD expected purchases {a['expected_purchases']:.3f}, logistic {a['logistic']:.3f}")
    # P(alive) is 1 for everyone without a repeat purchase, most of whom never come back: as a
    # ranking of who will buy it is worse than chance here. The supervised model must win to be used.
    assert a["p_alive"] < 0.5 < a["expected_purchases"]
    assert a["logistic"] > a["p_alive"] and a["logistic"] > a["expected_purchases"] - 0.01
    assert result["use_model"] and len(result["risk"]) == 23570
    assert all(0 <= v <= 1 for v in result["risk"].values())
