"""The funnel page in both languages, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from html import unescape

from tests.analytics.test_traits_storage import _ready
from tests.web.conftest import make_staff, staff_client  # noqa: F401  (fixtures)


def test_funnel_page_in_english_and_chinese(runtime, staff_client):
    _ready(runtime)
    client = staff_client("analyst")
    page = client.get("/analytics/funnel", params={"from": "2026-06-01", "to": "2026-06-30"})
    assert page.status_code == 200, page.text
    html = page.text
    chart = json.loads(unescape(re.search(r'data-funnel-chart="([^"]+)"', html).group(1)))
    assert chart == {"kind": "funnel", "steps": ["viewed", "carted", "ordered"], "values": [3, 2, 1]}
    assert json.loads(unescape(re.search(r'data-labels="([^"]+)"', html).group(1)))["carted"] == "Added to cart"
    assert re.search(r'data-step="carted"><th scope="row">Added to cart</th><td class="num">2</td>'
                     r'<td class="num">66\.7%</td>', html)
    assert 'data-kpi="overall">33.3%' in html and 'data-channel="site"' in html and 'data-channel="douyin"' in html
    assert '/static/js/funnel.js' in html and 'href="/analytics/funnel"' in html
    zh = staff_client("analyst", locale="zh-CN").get("/analytics/funnel",
                                                      params={"from": "2026-06-01", "to": "2026-06-30"}).text
    assert "转化漏斗" in zh and "加入购物车" in zh and "整体转化率" in zh and "按渠道" in zh


def test_funnel_page_bad_dates_and_access(runtime, staff_client):
    client = staff_client("analyst")
    bad = client.get("/analytics/funnel", params={"from": "2026-13-01"})
    assert bad.status_code == 200 and "Dates are YYYY-MM-DD." in bad.text
    assert "No page or product views in this range." in bad.text
    backwards = client.get("/analytics/funnel", params={"from": "2026-06-30", "to": "2026-06-01"})
    assert "must not be after" in backwards.text
    assert staff_client("content").get("/analytics/funnel").status_code == 403
