"""The analytics API on SQLite and PostgreSQL: aggregates for analysts, named figures for operations."""

from __future__ import annotations

from guanxi.analytics.recompute import recompute
from guanxi.customers import consents
from guanxi.db import transaction
from tests.analytics.shop import AS_OF, seed_shop

CHAMPIONS_OR_LOYAL = {"all": [{"field": "segment", "op": "in", "value": ["champions", "loyal"]},
                              {"field": "clv", "op": ">=", "value": 1}]}


def _ready(runtime) -> dict[int, int]:
    ids = seed_shop(runtime)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)
    return ids


def test_rfm_clv_and_kpis_for_an_analyst(runtime, client, auth):
    _ready(runtime)
    h = auth("analyst")
    rfm = client.get("/api/v1/analytics/rfm", headers=h).json()
    assert rfm["month"] == "2026-06" and len(rfm["segments"]) == 11
    assert sum(s["customers"] for s in rfm["segments"]) == rfm["customers"] > 0
    assert {s["label_zh"] for s in rfm["segments"]} >= {"冠军客户", "已流失客户"}
    clv = client.get("/api/v1/analytics/clv", headers=h).json()
    assert clv["bgnbd"]["converged"] and clv["clv_settings"]["horizon_months"] == 12
    assert clv["lifecycle_thresholds"]["derived"] is True
    k = client.get("/api/v1/analytics/kpis", params={"from": "2026-01-01", "to": "2026-06-30"}, headers=h)
    assert k.status_code == 200, k.text
    k = k.json()
    assert 0 < k["current"]["repeat_purchase_rate"] <= 1 and k["current"]["average_order_value_minor"] > 0
    assert [m["month"] for m in k["revenue_by_month"]] == [f"2026-0{i}" for i in range(1, 7)]
    assert k["previous"]["end"] == "2025-12-31" and k["cohorts"][0]["retention"][0] == 1.0
    assert k["customers_per_stage"]["prospect"] == 2
    assert client.get("/api/v1/analytics/kpis", params={"from": "2026-02-01", "to": "2026-01-01"},
                      headers=h).status_code == 422


def test_movement_month_over_month(runtime, client, auth):
    _ready(runtime)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF.replace(month=5, day=31))
    rfm = client.get("/api/v1/analytics/rfm", params={"month": "2026-06"}, headers=auth("operations")).json()
    assert rfm["previous_month"] == "2026-05"
    moves = rfm["movements"]
    assert moves and sum(m["customers"] for m in moves if m["from"] is not None) == sum(
        client.get("/api/v1/analytics/rfm", params={"month": "2026-05"}, headers=auth("operations")).json()
        ["segments"][i]["customers"] for i in range(11))


def test_customer_scores_are_for_roles_that_work_with_named_customers(runtime, client, auth):
    ids = _ready(runtime)
    reply = client.get(f"/api/v1/customers/{ids[0]}/scores", headers=auth("operations"))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["customer_id"] == ids[0] and body["lifecycle_stage"] and "clv_minor" in body
    assert client.get(f"/api/v1/customers/{ids[60]}/scores", headers=auth("operations")).json()[
        "lifecycle_stage"] == "prospect"
    assert client.get(f"/api/v1/customers/{ids[0]}/scores", headers=auth("analyst")).status_code == 403
    assert client.get(f"/api/v1/customers/{ids[0]}/scores", headers=auth("service")).status_code == 403
    assert client.get("/api/v1/customers/999999/scores", headers=auth("admin")).status_code == 404
    assert client.get("/api/v1/analytics/rfm", headers=auth("content")).status_code == 403


def test_live_segments(runtime, client, auth):
    _ready(runtime)
    ops = auth("operations")
    preview = client.post("/api/v1/segments/preview", json={"rule": CHAMPIONS_OR_LOYAL}, headers=ops)
    assert preview.status_code == 200, preview.text
    created = client.post("/api/v1/segments", json={"name": "best", "rule": CHAMPIONS_OR_LOYAL}, headers=ops)
    assert created.status_code == 201, created.text
    assert created.json()["members"] == preview.json()["members"] > 0
    assert client.post("/api/v1/segments", json={"name": "best", "rule": CHAMPIONS_OR_LOYAL},
                       headers=ops).status_code == 409
    bad = client.post("/api/v1/segments", json={"name": "bad", "rule": {"field": "clv", "op": "~", "value": 1}},
                      headers=ops)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["rule", "op"]
    city = {"any": [{"field": "city", "op": "=", "value": "上海"}, {"field": "lifecycle_stage", "op": "=",
                                                                   "value": "prospect"}]}
    assert client.post("/api/v1/segments", json={"name": "shanghai", "rule": city}, headers=ops).status_code == 201
    listed = client.get("/api/v1/segments", headers=ops).json()["items"]
    assert [s["name"] for s in listed] == ["best", "shanghai"] and all(s["members"] > 0 for s in listed)

    seg_id = created.json()["id"]
    named = client.get(f"/api/v1/segments/{seg_id}", headers=ops).json()
    assert all(isinstance(i, int) for i in named["member_ids"]) and not named["pseudonymised"]
    hidden = client.get(f"/api/v1/segments/{seg_id}", headers=auth("analyst")).json()
    assert hidden["pseudonymised"] and len(hidden["member_ids"]) == len(named["member_ids"])
    assert all(isinstance(i, str) and i.startswith("p_") for i in hidden["member_ids"])
    assert not set(map(str, named["member_ids"])) & set(hidden["member_ids"])


def test_recommendations_respect_personalisation_consent(runtime, client, auth):
    ids = _ready(runtime)
    tea_buyer = ids[0]  # even customers buy tea and cups
    reply = client.get(f"/api/v1/customers/{tea_buyer}/recommendations", headers=auth("service"))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["personalised"] and 0 < len(body["items"]) <= 10
    with runtime.factory() as session:
        from guanxi.customers.analytics_feed import purchase_lines
        bought = {line.sku for line in purchase_lines(session, customer_id=tea_buyer)}
    also = [i for i in body["items"] if i["reason"] == "also_bought"]
    assert also and not {i["sku"] for i in also} & bought
    assert all(i["category"].split("/")[0] in {"tea", "ware"} for i in also)

    with transaction(runtime.factory) as session:
        consents.set_consent(session, tea_buyer, "any", "personalisation", False)
    plain = client.get(f"/api/v1/customers/{tea_buyer}/recommendations", params={"category": "snacks"},
                       headers=auth("service")).json()
    assert not plain["personalised"] and all(i["reason"] == "popular_in_category" for i in plain["items"])
    assert plain["items"][0]["category"].startswith("snacks")
    assert client.get(f"/api/v1/customers/{tea_buyer}/recommendations", headers=auth("analyst")).status_code == 403


def test_recommendations_leave_out_what_is_out_of_stock(runtime, client, auth):
    ids = _ready(runtime)
    tea_buyer, url = ids[0], f"/api/v1/customers/{ids[0]}/recommendations"
    first = client.get(url, headers=auth("service")).json()["items"]
    top = first[0]["sku"]
    shop = auth("tech")
    reply = client.post("/api/v1/products/stock", json={"items": [{"sku": top, "stock": 0}, {"sku": "NEW-1", "stock": 5}]},
                        headers=shop)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"created": 1, "updated": 1}
    assert client.post("/api/v1/products/stock", json={"items": [{"sku": top, "stock": 0}]},
                       headers=shop).json() == {"created": 0, "updated": 1}          # the same figure again
    without = [i["sku"] for i in client.get(url, headers=auth("service")).json()["items"]]
    assert top not in without and without[0] == first[1]["sku"]
    with transaction(runtime.factory) as session:
        consents.set_consent(session, tea_buyer, "any", "personalisation", False)
    popular = [i["sku"] for i in client.get(url, headers=auth("service")).json()["items"]]
    assert top not in popular
    client.post("/api/v1/products/stock", json={"items": [{"sku": top, "stock": 3}]}, headers=shop)
    assert top in [i["sku"] for i in client.get(url, headers=auth("service")).json()["items"]]

    bad = client.post("/api/v1/products/stock", json={"items": [{"sku": "A", "stock": -1}, {"sku": "", "stock": 1}]},
                      headers=shop)
    assert bad.status_code == 422 and {tuple(e["loc"][-3:]) for e in bad.json()["errors"]} >= {
        ("items", 0, "stock"), ("items", 1, "sku")}
    twice = client.post("/api/v1/products/stock", json={"items": [{"sku": "A", "stock": 1}, {"sku": "A", "stock": 2}]},
                        headers=shop)
    assert twice.status_code == 422 and "appears twice" in twice.text
    assert client.post("/api/v1/products/stock", json={"items": [{"sku": "A", "stock": 1}]},
                       headers=auth("analyst")).status_code == 403


def test_segment_csv_export_is_pseudonymised_for_analysts(runtime, client, auth):
    _ready(runtime)
    ops = auth("operations")
    seg = client.post("/api/v1/segments", json={"name": "best", "rule": CHAMPIONS_OR_LOYAL}, headers=ops).json()
    named = client.get(f"/api/v1/segments/{seg['id']}/members.csv", headers=ops)
    assert named.status_code == 200 and named.headers["content-type"].startswith("text/csv")
    lines = named.text.strip().splitlines()
    assert lines[0].startswith("customer_id,segment,lifecycle_stage") and len(lines) == seg["members"] + 1
    hidden = client.get(f"/api/v1/segments/{seg['id']}/members.csv", headers=auth("analyst")).text.strip().splitlines()
    assert hidden[0].startswith("pseudonym,") and len(hidden) == len(lines)
    assert all(line.startswith("p_") for line in hidden[1:])
    assert [line.split(",", 1)[1] for line in hidden[1:]] == [line.split(",", 1)[1] for line in lines[1:]]


def test_customer_360_shows_value_and_recommendations(runtime, client, auth):
    from tests.web.forms import sign_in
    from tests.web.conftest import PASSWORD  # noqa: F401
    from guanxi.staff import service as staff_service

    ids = _ready(runtime)
    with transaction(runtime.factory) as session:
        staff_service.create_user(session, email="ops@shop.example", password=PASSWORD, role="operations",
                                  locale="en")
    assert sign_in(client, "ops@shop.example").status_code == 303
    page = client.get(f"/customers/{ids[0]}")
    assert page.status_code == 200, page.text
    assert 'id="customer-scores"' in page.text and 'id="recommendations"' in page.text


def test_a_winback_campaign_from_the_at_risk_list(runtime, client, auth):
    _ready(runtime)
    from guanxi.care import campaigns, template_store

    h = auth("operations")
    risky = client.get("/api/v1/analytics/at-risk", params={"limit": 5}, headers=h).json()["items"]
    assert risky and all(r["clv_minor"] is not None for r in risky)
    assert client.get("/api/v1/analytics/at-risk", headers=auth("analyst")).status_code == 403
    r = client.post("/api/v1/analytics/winback-campaigns", json={"limit": 5}, headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "draft" and body["customer_ids"] == [x["customer_id"] for x in risky]
    again = client.post("/api/v1/analytics/winback-campaigns", json={"limit": 5}, headers=h).json()
    assert again["campaign_id"] == body["campaign_id"]                   # a retry opens the same draft
    with runtime.factory() as session:
        row = campaigns.get_campaign(session, body["campaign_id"])
        assert row.control_percent == 10 and row.variants[0]["template"] == "winback"
        assert campaigns.readiness(session, row) == []                   # the template exists: it can start
        assert {t.locale for t in template_store.list_templates(session) if t.name == "winback"} == {"zh-CN", "en"}
    assert client.post("/api/v1/analytics/winback-campaigns", json={"limit": 0}, headers=h).status_code == 422
    assert client.post("/api/v1/analytics/winback-campaigns", json={}, headers=auth("analyst")).status_code == 403


def test_no_winback_campaign_when_nobody_is_at_risk(runtime, client, auth):
    r = client.post("/api/v1/analytics/winback-campaigns", json={}, headers=auth("operations"))
    assert r.status_code == 409 and "nobody is at risk" in r.json()["detail"]
