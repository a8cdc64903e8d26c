"""Approval by a second staff member (GUANXI_CARE_REQUIRE_APPROVAL), and the 极限词 check on every run."""

from __future__ import annotations

import pytest

from guanxi.care import template_store
from guanxi.db import transaction
from guanxi.staff.roles import SYSTEM

C = "/api/v1/care/campaigns"


@pytest.fixture
def api(app, client, care_settings):
    app.state.care_settings = care_settings.model_copy(update={"require_approval": True})
    return client


def _template(runtime, name="greet", body="亲爱的{{ customer.name }}，会员日快乐"):
    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name=name, channel="email", locale="zh-CN",
                                     subject="{{ customer.first_name }}，您好", body=body)


def _audit(api, auth, kind):
    got = api.get("/api/v1/audit", params={"kind": kind}, headers=auth("admin")).json()
    return got["items"] if isinstance(got, dict) else got


def test_a_campaign_needs_a_second_staff_members_approval(api, auth, person, runtime):
    _template(runtime)
    cid_ = person()
    author, second = auth("operations"), auth("operations")
    body = {"name": "会员日", "channels": ["email"], "variants": [{"template": "greet"}],
            "audience": {"customer_ids": [cid_]}}
    cid = api.post(C, json=body, headers=author).json()["id"]

    start = api.post(f"{C}/{cid}/status", json={"status": "active"}, headers=author)
    assert start.status_code == 409 and "approval by a second staff member" in start.json()["detail"]
    own = api.post(f"{C}/{cid}/approval", headers=author)
    assert own.status_code == 403 and "second staff member" in own.json()["detail"]
    assert own.headers["content-type"].startswith("application/problem+json")

    approved = api.post(f"{C}/{cid}/approval", headers=second)
    assert approved.status_code == 200 and approved.json()["approved_by"] and approved.json()["approved_at"]
    assert api.post(f"{C}/{cid}/approval", headers=second).status_code == 200  # repeating is harmless
    assert len(_audit(api, auth, "care_campaign_approved")) == 1
    assert api.post(f"{C}/{cid}/status", json={"status": "active"}, headers=author).json()["status"] == "active"
    assert api.post(f"{C}/{cid}/runs", json={}, headers=author).json()["queued"] == 1

    # An edit after approval clears it: the active campaign stops running until someone approves it again.
    edited = api.put(f"{C}/{cid}", json={**body, "name": "会员日（改）", "params": {"period": "again"}},
                     headers=author)
    assert edited.status_code == 200 and edited.json()["approved_by"] is None
    [cleared] = _audit(api, auth, "care_campaign_approval_cleared")
    assert cleared["details"]["reason"] == "edited"
    blocked = api.post(f"{C}/{cid}/runs", json={}, headers=author).json()
    assert blocked["queued"] == 0 and blocked["blocked"] == ["not approved by a second staff member"]
    api.post(f"{C}/{cid}/approval", headers=second)
    assert api.post(f"{C}/{cid}/runs", json={}, headers=author).json()["queued"] == 1

    # The approver who then edits it cannot approve their own change (nor can the author): a third person can.
    api.put(f"{C}/{cid}", json={**body, "params": {"period": "third"}}, headers=second)
    mine = api.post(f"{C}/{cid}/approval", headers=second)
    assert mine.status_code == 403 and "edited this campaign last" in mine.json()["detail"]
    assert api.post(f"{C}/{cid}/approval", headers=author).status_code == 403
    assert api.post(f"{C}/{cid}/approval", headers=auth("operations")).status_code == 200


def test_without_the_setting_no_approval_is_needed(app, client, care_settings, auth, runtime):
    app.state.care_settings = care_settings
    _template(runtime)
    ops = auth("operations")
    cid = client.post(C, json={"name": "x", "channels": ["email"], "variants": [{"template": "greet"}],
                               "trigger": "birthday"}, headers=ops).json()["id"]
    assert client.post(f"{C}/{cid}/status", json={"status": "active"}, headers=ops).json()["status"] == "active"


def test_banned_ad_words_added_after_the_start_stop_the_next_run(app, client, care_settings, auth, person, runtime):
    app.state.care_settings = care_settings
    _template(runtime)
    ops = auth("operations")
    cid = client.post(C, json={"name": "x", "channels": ["email"], "variants": [{"template": "greet"}],
                               "audience": {"customer_ids": [person()]}}, headers=ops).json()["id"]
    assert client.post(f"{C}/{cid}/status", json={"status": "active"}, headers=ops).json()["status"] == "active"
    # The template is saved again with 极限词 while the campaign is active: saving is allowed (a service
    # notice may need the words), but the marketing campaign must not send them.
    _template(runtime, body="{{ customer.name }}，全网最好的茶，国家级品质")
    run = client.post(f"{C}/{cid}/runs", json={}, headers=ops).json()
    assert run["queued"] == 0 and "最好" in run["blocked"][0] and "国家级" in run["blocked"][0]
    assert client.get("/api/v1/care/outbox", params={"campaign_id": cid}, headers=ops).json() == []
