"""Dashboard figures: SQL aggregates on both backends, shown per locale."""

from __future__ import annotations

import datetime as dt

from guanxi.customers import kpis

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def _order(client, headers, email, days_ago, total, status="paid", ext=None):
    body = {"source": "site", "external_id": ext or f"{email}-{days_ago}-{total}", "customer": {"email": email},
            "placed_at": (NOW - dt.timedelta(days=days_ago)).isoformat(), "currency": "CNY",
            "total_minor": total, "status": status}
    assert client.post("/api/v1/orders", json=body, headers=headers).status_code in (200, 201)


def _shop(client, auth):
    headers = auth("admin")
    _order(client, headers, "a@example.com", 5, 10000)
    _order(client, headers, "a@example.com", 40, 20000)
    _order(client, headers, "b@example.com", 10, 30000)
    _order(client, headers, "c@example.com", 400, 99900)           # not active any more
    _order(client, headers, "d@example.com", 3, 50000, "cancelled")  # not a purchase
    _order(client, headers, "e@example.com", 45, 5000, "refunded")
    client.post("/api/v1/customers", json={"email": "f@example.com"}, headers=headers)  # never bought


def test_overview(client, auth, runtime):
    _shop(client, auth)
    with runtime.factory() as session:
        k = kpis.overview(session, "CNY", now=NOW)
    assert k.customers == 6
    assert k.active_members == 2            # a and b
    assert k.repeat_rate == 0.5             # a bought twice
    assert k.orders_365 == 3 and k.revenue_365_minor == 60000 and k.average_order_minor == 20000
    assert k.revenue_30_minor == 40000 and k.revenue_prev_30_minor == 20000


def test_monthly(client, auth, runtime):
    _shop(client, auth)
    with runtime.factory() as session:
        months = kpis.monthly(session, "CNY", now=NOW, offset_minutes=480)
    assert len(months) == 12 and months[0].month == "2025-07" and months[-1].month == "2026-06"
    by_month = {m.month: (m.orders, m.revenue_minor) for m in months}
    assert by_month["2026-06"] == (2, 40000)
    assert by_month["2026-05"] == (1, 20000)
    assert sum(m.orders for m in months) == 3


def test_month_follows_the_shop_time_zone(client, auth, runtime):
    headers = auth("admin")
    # 31 May 20:00 UTC is 1 June 04:00 in Shanghai.
    late = dt.datetime(2026, 5, 31, 20, 0, tzinfo=dt.UTC)
    body = {"source": "site", "external_id": "tz-1", "customer": {"email": "tz@example.com"},
            "placed_at": late.isoformat(), "currency": "CNY", "total_minor": 100}
    client.post("/api/v1/orders", json=body, headers=headers)
    with runtime.factory() as session:
        months = {m.month: m.orders for m in kpis.monthly(session, "CNY", now=NOW, offset_minutes=480)}
        utc = {m.month: m.orders for m in kpis.monthly(session, "CNY", now=NOW, offset_minutes=0)}
    assert months["2026-06"] == 1 and utc["2026-05"] == 1


def test_dashboard_page_shows_the_figures_per_locale(staff_client, seed_customer):
    seed_customer(orders=2)
    client = staff_client("analyst")
    html = client.get("/dashboard").text
    assert 'data-kpi="customers">1<' in html
    assert 'data-kpi="aov">CN¥1,234.50<' in html
    assert "data-chart=" in html and "<table>" in html  # the chart's figures are readable without JavaScript
    zh = client.get("/dashboard", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200
