"""The weekly tracking curve on CDNOW_master (the data behind the holdout chart)."""

from __future__ import annotations

import numpy as np
import pytest

from guanxi.analytics.cdnow import read_cdnow
from guanxi.analytics.tracking import repeat_purchase_curve
from tests.analytics.conftest import CALIBRATION_END, HOLDOUT_END, cdnow_file


@pytest.fixture(scope="module")
def master_curve():
    rows = list(read_cdnow(cdnow_file("CDNOW_master.txt")))
    return repeat_purchase_curve([r.customer_id for r in rows], [r.date for r in rows],
                                 calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END)


def test_weekly_curve_on_cdnow_master(master_curve, capsys):
    c = master_curve
    actual, expected = np.array(c["actual"]), np.array(c["expected"])
    h = c["holdout"]
    with capsys.disabled():
        print(f"\nCDNOW master tracking: {c['customers']} customers, {len(c['weeks'])} weeks; "
              f"week {c['calibration_week'] + 1} (calibration end) actual {actual[c['calibration_week']]}, "
              f"expected {expected[c['calibration_week']]:.0f}; week 78 actual {actual[-1]}, expected "
              f"{expected[-1]:.0f}; holdout actual {h['actual']}, expected {h['expected_curve']:.0f} "
              f"(conditional {h['expected_conditional']:.0f}), per-customer MAE {h['per_customer_mae']}, "
              f"r = {h['per_customer_correlation']}")
    assert c["customers"] == 23570 and len(c["weeks"]) == 78 and c["weeks"][-1] == "1998-06-30"
    assert np.all(np.diff(actual) >= 0) and np.all(np.diff(expected) >= 0)
    cal = c["calibration_week"]
    assert c["weeks"][cal] >= "1997-09-30" > c["weeks"][cal - 1]
    # In calibration the curve is the fit: within 5% at its end.
    assert expected[cal] == pytest.approx(actual[cal], rel=0.05)
    # The holdout forecast falls short on CDNOW (see test_holdout_cdnow); 10% at week 78, 15% in the holdout.
    assert expected[-1] == pytest.approx(actual[-1], rel=0.10)
    assert h["expected_curve"] == pytest.approx(h["actual"], rel=0.15)
    assert h["per_customer_correlation"] > 0.5
