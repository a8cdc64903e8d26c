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


def test_customer_360_shows_traits_and_potential(runtime, staff_client):
    ids = _ready(runtime)
    client = staff_client("operations")
    page = client.get(f"/customers/{ids[1000]}")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="customer-traits"' in html and "Traits and potential" in html
    assert "100.0% of orders with a discount" in html and "tea/white" in html
    assert "TEA-9 every 14 days" in html and "21:00" in html and 'data-trait="growth"' in html
    assert 'data-trait="p_first_order"' not in html
    prospect = client.get(f"/customers/{ids[60]}").text
    assert 'data-trait="p_first_order"' in prospect and 'data-trait="growth"' not in prospect
    zh = staff_client("operations", locale="zh-CN").get(f"/customers/{ids[1000]}").text
    assert "特征与潜力" in zh and "的订单使用了优惠" in zh and "TEA-9 每 14 天" in zh
    assert 'id="customer-traits"' not in staff_client("analyst").get(f"/customers/{ids[1000]}").text


def test_funnel_page_shows_the_tracking_snippet_with_the_site_key(runtime, staff_client):
    from guanxi.analytics.site_tracking import site_key

    html = staff_client("analyst").get("/analytics/funnel").text
    key = site_key(runtime.secrets.session_secret)
    assert f"<code data-site-key>{key}</code>" in html
    assert f'src=&#34;http://testserver/t/guanxi.js&#34; data-site=&#34;{key}&#34;' in html  # escaped, copyable
    assert "No shop site is allowed to send events yet" in html  # no GUANXI_TRACKING_ORIGINS in these tests
    zh = staff_client("analyst", locale="zh-CN").get("/analytics/funnel").text
    assert "店铺网站的跟踪代码" in zh and "尚未允许任何店铺网站发送事件" in zh
