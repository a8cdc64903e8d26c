"""The analytics pages in both languages, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from guanxi.analytics import reports
from guanxi.analytics.models import CustomerScore
from guanxi.analytics.recompute import recompute
from guanxi.db import transaction
from tests.analytics.shop import AS_OF, seed_shop
from tests.web.conftest import make_staff, staff_client  # noqa: F401  (fixtures)


def _ready(runtime):
    seed_shop(runtime)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)


def test_segments_and_cohorts_page(runtime, staff_client):
    _ready(runtime)
    client = staff_client("analyst")
    page = client.get("/analytics")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="segments"' in html and 'data-segment="champions"' in html and 'id="cohorts"' in html
    assert "Champions" in html and "data-analytics-chart" in html and 'href="/analytics"' in html
    assert 'id="at-risk"' not in html  # analysts see aggregates only
    zh = staff_client("analyst", locale="zh-CN").get("/analytics").text
    assert "冠军客户" in zh and "按首单月份的同期群留存" in zh


def test_holdout_page_charts_expected_against_actual(runtime, staff_client):
    _ready(runtime)
    client = staff_client("operations")
    assert 'id="at-risk"' in client.get("/analytics").text
    page = client.get("/analytics/holdout", params={"calibration_end": "2025-12-31", "holdout_end": "2026-06-30"})
    assert page.status_code == 200, page.text
    assert 'id="tracking"' in page.text and 'data-kpi="holdout_expected"' in page.text
    assert "2025-12-31" in page.text
    bad = client.get("/analytics/holdout", params={"calibration_end": "2030-01-01"})
    assert bad.status_code == 200 and 'id="tracking"' not in bad.text


def test_pages_need_analytics_read(runtime, staff_client):
    client = staff_client("content")
    assert client.get("/analytics").status_code == 403
    assert 'href="/analytics"' not in client.get("/account").text


def test_dashboard_tiles_sankey_clv_and_grid(runtime, staff_client):
    _ready(runtime)
    with transaction(runtime.factory) as session:  # a month before, so there are moves to draw
        recompute(session, runtime.settings, as_of=AS_OF.replace(month=5, day=31))
        recompute(session, runtime.settings, as_of=AS_OF)
    html = staff_client("operations").get("/analytics").text
    for key in ("referral_rate", "points_liability_minor", "redemption_rate", "csat", "nps", "campaign_uplift"):
        assert f'data-kpi="{key}"' in html
    assert 'id="sankey"' in html and '&#34;kind&#34;: &#34;sankey&#34;' in html
    assert 'id="clv-histogram"' in html and 'id="clv-bands"' in html and 'id="rfm-grid"' in html
    assert 'id="start-winback"' in html
    assert 'id="start-winback"' not in staff_client("analyst").get("/analytics").text


def test_clv_histogram_and_rfm_grid_count_every_scored_customer(runtime):
    _ready(runtime)
    with runtime.factory() as session:
        hist = reports.clv_histogram(session, bins=10)
        scored = session.scalar(select(func.count()).select_from(CustomerScore).where(CustomerScore.clv_minor.is_not(None)))
        rfm = session.scalar(select(func.count()).select_from(CustomerScore).where(CustomerScore.recency_score.is_not(None)))
        grid = reports.rfm_grid(session)
    assert sum(hist["counts"]) == hist["customers"] == scored > 0 and len(hist["edges_minor"]) == 11
    assert hist["edges_minor"] == sorted(hist["edges_minor"])
    assert sum(g["customers"] for g in grid) == rfm and all(1 <= g["recency"] <= 5 for g in grid)


def test_dashboard_kpis_for_a_chosen_range(runtime, staff_client):
    _ready(runtime)
    client = staff_client("analyst")
    html = client.get("/analytics", params={"from": "2026-01-01", "to": "2026-06-30"}).text
    assert 'value="2026-01-01"' in html and "against 2025-07-04 to 2025-12-31" in html
    bad = client.get("/analytics", params={"from": "2026-06-30", "to": "2026-01-01"})
    assert bad.status_code == 200 and 'role="alert"' in bad.text and "must not be after" in bad.text
    assert 'role="alert"' in client.get("/analytics", params={"from": "2026-13-01"}).text
