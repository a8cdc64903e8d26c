"""The segment builder page and its count fragment, in both languages, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re

from guanxi.analytics import reports, segment_rules
from tests.analytics.test_pages import _ready
from tests.web.conftest import make_staff, staff_client  # noqa: F401  (fixtures)
from tests.web.forms import post_form

COUNT = re.compile(r'data-segment-count="(\d+)"')
# Group 1: city = 上海 (any); group 2: clv >= 1 and segment in champions, loyal
BUILDER = {"top": "any", "group_kind": ["any", "all", "all"],
           "group": ["0", "0", "0", "1", "1", "1", "2", "2", "2"],
           "field": ["city", "", "", "clv", "segment", "", "", "", ""],
           "op": ["=", "=", "=", ">=", "in", "=", "=", "=", "="],
           "value": ["上海", "", "", "1", "champions, loyal", "", "", "", ""]}
RULE = {"any": [{"any": [{"field": "city", "op": "=", "value": "上海"}]},
                {"all": [{"field": "clv", "op": ">=", "value": 1},
                         {"field": "segment", "op": "in", "value": ["champions", "loyal"]}]}]}


def _count(runtime, rule) -> int:
    with runtime.factory() as session:
        return reports.count_members(session, segment_rules.parse(rule))


def test_count_fragment_follows_the_rule(runtime, staff_client):
    _ready(runtime)
    client = staff_client("analyst")
    page = client.get("/analytics/segments")
    assert page.status_code == 200, page.text
    assert 'hx-get="/analytics/segments/count"' in page.text and 'id="segment-count"' in page.text
    frag = client.get("/analytics/segments/count", params=BUILDER, headers={"HX-Request": "true"})
    assert frag.status_code == 200, frag.text[-1500:]
    assert "<html" not in frag.text
    assert int(COUNT.search(frag.text).group(1)) == _count(runtime, RULE) > 0
    assert json.loads(html.unescape(re.search(r"<pre data-rule-json>(.*?)</pre>", frag.text, re.S).group(1))) == RULE
    narrower = {**BUILDER, "top": "all"}
    n = int(COUNT.search(client.get("/analytics/segments/count", params=narrower).text).group(1))
    assert n == _count(runtime, {"all": RULE["any"]}) < _count(runtime, RULE)
    typed = client.get("/analytics/segments/count", params={"rule_json": json.dumps({"field": "orders", "op": ">",
                                                                                     "value": 2})})
    assert int(COUNT.search(typed.text).group(1)) == _count(runtime, {"field": "orders", "op": ">", "value": 2})
    bad = client.get("/analytics/segments/count", params={**BUILDER, "value": ["上海", "", "", "lots"] + [""] * 5})
    assert bad.status_code == 200 and "data-count-error" in bad.text and "compares with numbers" in bad.text
    empty = client.get("/analytics/segments/count", params={"field": [""], "op": ["="], "value": [""]})
    assert "Add at least one condition." in empty.text
    zh = staff_client("analyst", locale="zh-CN")
    assert "分群构建器" in zh.get("/analytics/segments").text
    assert "至少添加一个条件" in zh.get("/analytics/segments/count", params={"field": [""]}).text
    assert staff_client("content").get("/analytics/segments").status_code == 403


def test_save_dynamic_then_snapshot_static(runtime, staff_client):
    _ready(runtime)
    client = staff_client("operations")
    saved = post_form(client, "/analytics/segments", "/analytics/segments", {**BUILDER, "name": "sh or best"},
                      follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with runtime.factory() as session:
        [(row, members)] = reports.list_segments(session)
    assert row.rule == RULE and row.kind == "dynamic" and members == _count(runtime, RULE)
    again = post_form(client, "/analytics/segments", "/analytics/segments", {**BUILDER, "name": "sh or best"})
    assert again.status_code == 409 and "exists already" in again.text and 'value="sh or best"' in again.text
    nameless = post_form(client, "/analytics/segments", "/analytics/segments", BUILDER)
    assert nameless.status_code == 422 and "Give the segment a name." in nameless.text
    snap = post_form(client, "/analytics/segments", f"/analytics/segments/{row.id}/snapshot", {"name": "june"},
                     follow_redirects=False)
    assert snap.status_code == 303, snap.text
    page = client.get("/analytics/segments").text
    assert page.count("data-segment-id=") == 2 and "static (snapshot)" in page
    assert f'href="/api/v1/segments/{row.id}/export.csv"' in page
    assert client.post("/analytics/segments", data={**BUILDER, "name": "no token"}).status_code == 403
