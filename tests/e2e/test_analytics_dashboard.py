"""The analytics dashboard in Chromium: the Sankey of segment moves and the CLV histogram are drawn with
data, and the churn-risk list's button creates a draft win-back campaign and opens it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import SERVER_ENV
from .flows import sign_in

pytestmark = pytest.mark.e2e

GUANXI = Path(sys.executable).parent / "guanxi"


def _guanxi(*args: str) -> str:
    done = subprocess.run([str(GUANXI), *args], env=SERVER_ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _more_buyers(server: str) -> None:
    """Enough repeat buyers for the models to fit (20 customers at least), half of them quiet for months."""
    token = _guanxi("token", "create", "--name", "e2e-analytics", "--role", "admin").strip().splitlines()[-1]
    now = dt.datetime.now(dt.UTC)
    orders = []
    for i in range(24):
        last = 150 + 7 * i if i % 2 else 5 + i           # odd ones: last order months ago (at risk)
        for n in range(2 + i % 3):
            orders.append({"source": "site", "external_id": f"e2e-winback-{i}-{n}",
                           "customer": {"email": f"winback{i}@example.com"},
                           "placed_at": (now - dt.timedelta(days=last + 40 * n)).isoformat(), "currency": "CNY",
                           "total_minor": 8800 + 1500 * i + 700 * n})
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        http.post("/api/v1/orders/batch", json={"orders": orders}).raise_for_status()


def test_dashboard_draws_the_sankey_and_the_clv_chart_and_starts_a_winback(page, server):
    _more_buyers(server)
    today = dt.date.today()
    _guanxi("analytics", "recompute", "--as-of", (today.replace(day=1) - dt.timedelta(days=1)).isoformat())
    _guanxi("analytics", "recompute", "--as-of", today.isoformat())   # this month: moves since the last one
    sign_in(page)
    page.goto("/analytics")
    for chart in ("#sankey", "#clv-histogram"):
        page.wait_for_selector(f"{chart}[data-drawn='1'] svg")
    # the Sankey's links are paths, one per move at least; the histogram's bars are paths too
    assert page.locator("#sankey svg path").count() >= 2
    assert page.locator("#clv-histogram svg path").count() >= 2
    assert page.locator("#sankey svg text").count() >= 2                 # node labels: segments and months
    rows = page.locator("#at-risk tbody tr").count()
    assert rows > 0
    page.locator("#start-winback").click()
    page.wait_for_url(re.compile(r".*/care/campaigns/\d+$"))
    assert page.locator("#campaign-status").inner_text() == "draft"
    assert "Win-back" in page.content()
