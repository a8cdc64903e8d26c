"""Each KPI formula on a hand-computed purchase log."""

from __future__ import annotations

from datetime import date

from guanxi.analytics import kpis

# customer, day, amount (minor units)
LOG = [(1, date(2026, 1, 5), 1000), (1, date(2026, 2, 7), 3000), (2, date(2026, 1, 20), 2000),
       (3, date(2026, 2, 1), 500), (3, date(2026, 3, 3), 700), (3, date(2026, 3, 4), 800),
       (4, date(2025, 12, 30), 9999)]
C, D, A = zip(*LOG)


def test_period_figures_by_hand():
    f = kpis.period_figures(C, D, A, start=date(2026, 1, 1), end=date(2026, 3, 31))
    assert f["active_customers"] == 3 and f["orders"] == 6 and f["revenue_minor"] == 8000
    assert f["repeat_purchase_rate"] == 2 / 3          # customers 1 and 3
    assert f["purchase_frequency"] == 2.0
    assert f["average_order_value_minor"] == 8000 // 6
    assert f["revenue_per_customer_minor"] == 8000 // 3


def test_empty_period_has_no_rates():
    f = kpis.period_figures(C, D, A, start=date(2020, 1, 1), end=date(2020, 1, 31))
    assert f["active_customers"] == 0 and f["repeat_purchase_rate"] is None and f["average_order_value_minor"] is None


def test_revenue_by_month_includes_empty_months():
    months = kpis.revenue_by_month(D, A, start=date(2025, 11, 1), end=date(2026, 3, 31))
    assert [(m["month"], m["orders"], m["revenue_minor"]) for m in months] == [
        ("2025-11", 0, 0), ("2025-12", 1, 9999), ("2026-01", 2, 3000), ("2026-02", 2, 3500), ("2026-03", 2, 1500)]


def test_cohorts_by_first_purchase_month():
    rows = {c["cohort"]: c for c in kpis.cohorts(C, D, A, end=date(2026, 3, 31), months=4)}
    assert set(rows) == {"2025-12", "2026-01", "2026-02"}
    jan = rows["2026-01"]  # customers 1 and 2; only 1 comes back in February
    assert jan["customers"] == 2 and jan["retention"] == [1.0, 0.5, 0.0]
    assert jan["revenue_minor"] == [3000, 3000, 0]
    feb = rows["2026-02"]  # customer 3, back in March (twice: still one customer)
    assert feb["retention"] == [1.0, 1.0] and feb["revenue_minor"] == [500, 1500]
    assert rows["2025-12"]["retention"] == [1.0, 0.0, 0.0, 0.0]


def test_new_customers_are_those_whose_first_purchase_is_in_the_period():
    assert kpis.new_customers(C, D, start=date(2026, 1, 1), end=date(2026, 3, 31)) == {1, 2, 3}
    assert kpis.new_customers(C, D, start=date(2026, 2, 1), end=date(2026, 3, 31)) == {3}
    assert kpis.period_figures(C, D, A, start=date(2026, 2, 1), end=date(2026, 2, 28))["new_customers"] == 1


def test_formulas_of_the_kpis_from_other_domains():
    assert kpis.referral_rate({1, 2, 3, 4}, {2, 9}) == 0.25 and kpis.referral_rate(set(), {2}) is None
    assert kpis.points_liability_minor(1201, 0.5) == 600 and kpis.points_liability_minor(3, 2.5) == 8
    assert kpis.redemption_rate(300, 1200) == 0.25 and kpis.redemption_rate(10, 0) is None
    up = kpis.campaign_uplift(200, 30, 50, 5)
    assert up["conversion_rate"] == 0.15 and up["control_conversion_rate"] == 0.1
    assert abs(up["uplift"] - 0.05) < 1e-12
    assert kpis.campaign_uplift(10, 1, 0, 0)["uplift"] is None
