"""The loyalty admin pages: rules (versions, JSON errors shown, preview), rewards, tiers, plans, reports."""

from __future__ import annotations

import json

from guanxi.db import transaction
from guanxi.loyalty import catalogue, points, wallet
from guanxi.staff.roles import SYSTEM

from .forms import post_form

BASE = json.dumps({"kind": "base", "points_per_unit": 1, "unit_minor": 100})
CART = json.dumps({"total_minor": 10000, "currency": "CNY",
                   "lines": [{"sku": "LIP-01", "quantity": 1, "unit_price_minor": 10000, "category": "beauty/lips"}]})


def test_a_rule_is_added_edited_with_errors_shown_then_saved_as_a_new_version(staff_client, runtime):
    client = staff_client("admin")
    page = client.get("/loyalty/rules")
    assert page.status_code == 200 and 'href="/loyalty/rules"' in page.text and 'aria-current="page"' in page.text
    r = post_form(client, "/loyalty/rules", "/loyalty/rules", {"name": "base", "definition": BASE, "active": "1"},
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/loyalty/rules?rule=base"
    broken = post_form(client, "/loyalty/rules?rule=base", "/loyalty/rules/base",
                       {"definition": '{"kind": "base", "points_per_unit": 0', "active": "1"})
    assert broken.status_code == 422 and "not valid JSON" in broken.text and "line 1" in broken.text
    assert "points_per_unit&#34;: 0" in broken.text or 'points_per_unit": 0' in broken.text  # the text kept as typed
    wrong = post_form(client, "/loyalty/rules?rule=base", "/loyalty/rules/base",
                      {"definition": '{"kind": "base", "points_per_unit": 0}', "active": "1"})
    assert wrong.status_code == 422 and "points_per_unit: a positive number" in wrong.text
    ok = post_form(client, "/loyalty/rules?rule=base", "/loyalty/rules/base",
                   {"definition": '{"kind": "base", "points_per_unit": 2, "unit_minor": 100}', "active": "1"},
                   follow_redirects=False)
    assert ok.status_code == 303
    with runtime.factory() as session:
        assert [v.definition["points_per_unit"] for v in catalogue.rule_versions(session, "base")] == [1, 2]
    page = client.get("/loyalty/rules?rule=base").text
    assert 'data-version="2"' in page and 'data-version="1"' in page
    dup = post_form(client, "/loyalty/rules", "/loyalty/rules", {"name": "base", "definition": BASE})
    assert dup.status_code == 422 and "exists" in dup.text
    bad_name = post_form(client, "/loyalty/rules", "/loyalty/rules", {"name": "a b", "definition": BASE})
    assert bad_name.status_code == 422 and "name" in bad_name.text


def test_the_preview_shows_what_a_sample_cart_earns_with_the_draft_as_typed(staff_client, runtime):
    client = staff_client("admin")
    post_form(client, "/loyalty/rules", "/loyalty/rules", {"name": "base", "definition": BASE, "active": "1"})
    r = post_form(client, "/loyalty/rules", "/loyalty/rules-preview", {"cart": CART})
    assert r.status_code == 200 and "100 points" in r.text
    draft = json.dumps({"kind": "base", "points_per_unit": 3, "unit_minor": 100})
    r = post_form(client, "/loyalty/rules?rule=base", "/loyalty/rules-preview",
                  {"cart": CART, "rule": "base", "definition": draft})
    assert r.status_code == 200 and "300 points" in r.text
    with runtime.factory() as session:   # a preview saves nothing
        assert len(catalogue.rule_versions(session, "base")) == 1
    r = post_form(client, "/loyalty/rules", "/loyalty/rules-preview", {"cart": '{"total_minor": -1}'})
    assert r.status_code == 422 and "total_minor" in r.text


def test_rewards_tiers_and_plans_pages_add_and_refuse_with_reasons(staff_client, runtime):
    client = staff_client("admin")
    r = post_form(client, "/loyalty/rewards", "/loyalty/rewards",
                  {"name": "¥10 off", "kind": "coupon", "points_cost": "500",
                   "details": '{"coupon": {"type": "fixed", "amount_minor": 1000, "currency": "CNY"}}'},
                  follow_redirects=False)
    assert r.status_code == 303
    bad = post_form(client, "/loyalty/rewards", "/loyalty/rewards",
                    {"name": "broken", "kind": "coupon", "points_cost": "500", "details": "{}"})
    assert bad.status_code == 422 and "details.coupon" in bad.text and 'value="broken"' in bad.text
    assert post_form(client, "/loyalty/rewards", "/loyalty/rewards",
                     {"name": "x", "kind": "gift", "points_cost": "ten"}).status_code == 422
    page = client.get("/loyalty/rewards").text
    assert "¥10 off" in page and "broken" not in page

    assert post_form(client, "/loyalty/tiers", "/loyalty/tiers", {"code": "gold", "name": "Gold", "rank": "2",
                                                                  "min_spend": "3000", "benefits": "{}"},
                     follow_redirects=False).status_code == 303
    with runtime.factory() as session:
        assert catalogue.tiers(session)[0].min_spend_minor == 300000
    assert post_form(client, "/loyalty/tiers", "/loyalty/tiers", {"code": "bad code", "name": "X", "rank": "1"}
                     ).status_code == 422
    assert post_form(client, "/loyalty/tiers", "/loyalty/tiers/gold/deletion", {},
                     follow_redirects=False).status_code == 303

    assert post_form(client, "/loyalty/plans", "/loyalty/plans", {
        "code": "plus", "name": "Plus", "period_months": "12", "price": "99", "currency": "CNY", "trial_days": "7",
        "grace_days": "7", "benefits": '{"multiplier": 2}', "active": "1"}, follow_redirects=False).status_code == 303
    page = client.get("/loyalty/plans").text
    assert 'data-plan="plus"' in page and "99.00" in page
    bad = post_form(client, "/loyalty/plans", "/loyalty/plans", {
        "code": "odd", "name": "Odd", "period_months": "5", "price": "9.999", "currency": "CNY"})
    assert bad.status_code == 422 and "price" in bad.text


def test_reports_show_liability_flow_and_store_credit_and_other_roles_are_refused(staff_client, seed_customer,
                                                                                   runtime):
    customer_id = seed_customer()
    with transaction(runtime.factory) as session:
        points.adjust(session, customer_id, 400, "welcome", "w", SYSTEM)
        wallet.credit(session, customer_id, 2500, "CNY", "g", source="goodwill")
    client = staff_client("admin")
    page = client.get("/loyalty/reports?value=0.5")
    assert page.status_code == 200
    assert 'data-kpi="outstanding">400<' in page.text and 'data-kpi="points-value">200<' in page.text
    assert 'data-kpi="credit-CNY"' in page.text and "25.00" in page.text and "data-loyalty-flow" in page.text
    assert client.get("/loyalty/reports?value=abc").status_code == 422
    assert staff_client("service").get("/loyalty/rules").status_code == 403
