"""Out-of-sample check on the full CDNOW cohort: calibrate to 1997-09-30, forecast the 39
holdout weeks to 1998-06-30, compare with what the 23,570 customers actually did."""

import numpy as np
import pytest

from guanxi.analytics import bgnbd


def test_holdout_forecast_on_cdnow_master(cdnow_master, capsys):
    s = cdnow_master
    fit = bgnbd.fit_bgnbd(s.frequency, s.recency, s.age)
    predicted = bgnbd.expected_purchases(fit.params, s.holdout_weeks, s.frequency, s.recency, s.age)
    actual = s.holdout_frequency
    # The cumulative repeat-purchase curve of the cohort at its last week (week 78).
    curve_predicted = bgnbd.expected_purchases_new(fit.params, s.age + s.holdout_weeks).sum()
    curve_actual = s.frequency.sum() + actual.sum()
    with capsys.disabled():
        print(
            f"\nCDNOW master holdout ({len(s)} customers, {s.holdout_weeks:g} weeks): "
            f"predicted {predicted.sum():.0f}, actual {actual.sum():.0f} repeat purchases "
            f"({predicted.sum() / actual.sum() - 1:+.1%}); cumulative to week 78: "
            f"predicted {curve_predicted:.0f}, actual {curve_actual:.0f} ({curve_predicted / curve_actual - 1:+.1%})"
        )
    assert s.holdout_weeks == 39 and len(s) == 23570
    # The forecast falls ~14% short on CDNOW: BG/NBD is stationary, and in October to
    # mid-December 1997 (holdout weeks 41-50) the cohort bought 20-55% more per week than the
    # trend. 15% is the bound these data support; the week-78 cumulative total is within 10%.
    assert predicted.sum() == pytest.approx(actual.sum(), rel=0.15)
    assert curve_predicted == pytest.approx(curve_actual, rel=0.10)
    # Per customer the forecast still ranks: more expected, more bought.
    assert np.corrcoef(predicted, actual)[0, 1] > 0.5
