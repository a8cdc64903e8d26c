"""The journeys page: operations writes a journey in the JSON editor, sees its steps and counts, starts it."""

from __future__ import annotations

import json

from guanxi.care import template_store
from guanxi.db import transaction
from guanxi.staff.roles import SYSTEM

from .forms import post_form

STEPS = [{"id": "hello", "type": "send", "channel": "email", "template": "hello"},
         {"id": "pause", "type": "wait", "days": 2},
         {"id": "check", "type": "condition", "when": "clicked", "yes": "end", "no": "hello"},
         {"id": "end", "type": "exit"}]


def test_operations_creates_and_starts_a_journey(staff_client, seed_customer, runtime):
    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="hello", channel="email", locale="en", subject="Hi",
                                     body="Dear {{ customer.first_name }}")
    cid = seed_customer(name="Li Lei")
    ops = staff_client("operations")
    page = ops.get("/care/journeys")
    assert page.status_code == 200 and "No journeys yet." in page.text and "&#34;clicked&#34;" in page.text
    form = {"name": "New tea", "customer_ids": str(cid), "goal_days": "7"}
    bad = post_form(ops, "/care/journeys", "/care/journeys",
                    {**form, "steps": json.dumps([{**STEPS[0], "next": "nowhere"}])})
    assert bad.status_code == 422 and "nowhere" in bad.text and "New tea" in bad.text  # the form is kept
    broken = post_form(ops, "/care/journeys", "/care/journeys", {**form, "steps": "[{"})
    assert broken.status_code == 422 and "JSON" in broken.text
    made = post_form(ops, "/care/journeys", "/care/journeys", {**form, "steps": json.dumps(STEPS)},
                     follow_redirects=False)
    assert made.status_code == 303, made.text
    listed = ops.get("/care/journeys").text
    assert "New tea" in listed and 'data-step="pause"' in listed and "draft" in listed
    jid = listed.split('data-journey="')[1].split('"')[0]
    started = post_form(ops, "/care/journeys", f"/care/journeys/{jid}/status", {"status": "active"})
    assert started.status_code == 200 and 'value="paused"' in started.text
    assert staff_client("content").get("/care/journeys").status_code == 403


def test_journeys_page_in_chinese_and_campaign_engagement(staff_client, runtime):
    from guanxi.care import campaigns

    with transaction(runtime.factory) as session:
        camp = campaigns.create_campaign(session, SYSTEM, campaigns.CampaignSpec(
            name="Tea", channels=["email"], variants=[{"template": "hello"}], audience={"customer_ids": [1]}))
        camp_id = camp.id
    client = staff_client("admin", locale="zh-CN")
    page = client.get("/care/journeys").text
    assert "客户旅程" in page and "还没有客户旅程。" in page
    detail = client.get(f"/care/campaigns/{camp_id}").text
    assert 'id="engagement"' in detail and "点击人数（去重）" in detail and "退订" in detail
