"""The care API: who may do what, templates checked on save, campaigns end to end, signed callbacks."""

from __future__ import annotations

import json

import pytest

from guanxi.care import unsubscribe
from guanxi.care.channels.http import sign
from guanxi.care.delivery import run_drain
from guanxi.customers import consents
from guanxi.db import transaction

T = "/api/v1/care/templates"
C = "/api/v1/care/campaigns"


@pytest.fixture
def api(app, client, care_settings):
    app.state.care_settings = care_settings
    return client


def _template(api, auth, **kw):
    body = {"name": "greet", "channel": "email", "locale": "zh-CN", "subject": "{{ customer.first_name }}，您好",
            "body": "亲爱的{{ customer.name }}，{{ shop.name }}祝您生日快乐", **kw}
    return api.post(T, json=body, headers=auth("content"))


def test_content_team_writes_templates_operations_reads_them(api, auth):
    reply = _template(api, auth)
    assert reply.status_code == 201, reply.text
    assert reply.json()["version"] == 1
    assert _template(api, auth, body="v2 {{ customer.name }}").json()["version"] == 2
    assert api.post(T, json={"name": "x", "channel": "sms", "locale": "en", "body": "hi"},
                    headers=auth("operations")).status_code == 403
    assert api.get(T, headers=auth("operations")).status_code == 200
    assert api.get(T, headers=auth("analyst")).status_code == 403
    assert api.get(T).status_code == 401


def test_missing_variable_is_refused_when_saved(api, auth):
    reply = _template(api, auth, body="Hi {{ customer.nickname }}")
    assert reply.status_code == 422
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert "nickname" in reply.json()["detail"]
    assert api.get(T, headers=auth("content")).json() == []


def test_strict_body(api, auth):
    reply = api.post(T, json={"name": "x", "channel": "fax", "locale": "en", "body": "hi"}, headers=auth("content"))
    assert reply.status_code == 422
    reply = api.post(T, json={"name": "x", "channel": "sms", "locale": "en", "body": "hi", "extra": 1},
                     headers=auth("content"))
    assert reply.status_code == 422


def test_preview_with_a_real_customer_is_audited(api, auth, person, runtime):
    cid = person("王小明")
    tid = _template(api, auth).json()["id"]
    reply = api.post(f"{T}/{tid}/previews", json={"customer_id": cid}, headers=auth("content"))
    assert reply.status_code == 200, reply.text
    assert reply.json()["subject"] == "小明，您好" and "王小明" in reply.json()["body"]
    audit = api.get("/api/v1/audit", params={"kind": "pii_viewed"}, headers=auth("admin")).json()
    entries = audit["items"] if isinstance(audit, dict) else audit
    assert any(e.get("subject_id") == str(cid) for e in entries)
    assert api.post(f"{T}/{tid}/previews", json={"customer_id": 999999}, headers=auth("content")).status_code == 404


def test_campaign_end_to_end_over_the_api(api, auth, person, runtime, smtp, care_settings):
    ids = [person(f"客户{i}") for i in range(3)]
    _template(api, auth)
    ops = auth("operations")
    body = {"name": "会员日", "channels": ["email"], "variants": [{"template": "greet"}],
            "audience": {"customer_ids": ids}}
    assert api.post(C, json=body, headers=auth("content")).status_code == 403
    reply = api.post(C, json=body, headers=ops)
    assert reply.status_code == 201, reply.text
    cid = reply.json()["id"]
    assert reply.json()["status"] == "draft"
    assert api.post(f"{C}/{cid}/runs", json={}, headers=ops).status_code == 422  # not active yet
    dry = api.post(f"{C}/{cid}/dry-runs", json={}, headers=ops).json()
    assert dry["would_send"] == 3
    assert api.post(f"{C}/{cid}/status", json={"status": "active"}, headers=ops).json()["status"] == "active"
    assert api.post(f"{C}/{cid}/runs", json={}, headers=ops).json()["queued"] == 3
    assert api.post(f"{C}/{cid}/runs", json={}, headers=ops).json()["queued"] == 0
    run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care_settings,
              owner="t")
    outbox = api.get("/api/v1/care/outbox", params={"campaign_id": cid}, headers=ops).json()
    assert [m["status"] for m in outbox] == ["sent"] * 3 and "body" not in outbox[0]
    report = api.get(f"{C}/{cid}/report", headers=ops).json()
    assert report["outbox"]["sent"] == 3 and report["groups"]["A"]["recipients"] == 3
    assert len(smtp.messages) == 3


def test_campaign_refuses_to_start_without_its_template(api, auth):
    ops = auth("operations")
    cid = api.post(C, json={"name": "x", "channels": ["sms"], "variants": [{"template": "nope"}],
                            "trigger": "birthday"}, headers=ops).json()["id"]
    reply = api.post(f"{C}/{cid}/status", json={"status": "active"}, headers=ops)
    assert reply.status_code == 409 and "no sms template named 'nope'" in reply.json()["detail"]


def test_campaign_validation_errors(api, auth):
    ops = auth("operations")
    reply = api.post(C, json={"name": "x", "channels": ["email"], "variants": [{"template": "t"}],
                              "trigger": "holiday", "params": {"occasion": "christmas"}}, headers=ops)
    assert reply.status_code == 422 and "occasion" in reply.json()["detail"]
    reply = api.post(C, json={"name": "x", "channels": ["email"], "variants": [{"template": "t"}]}, headers=ops)
    assert reply.status_code == 422 and "audience" in reply.json()["detail"]


def test_signed_delivery_receipt(api, auth, person, runtime, http_sink, care_settings):
    from guanxi.care.outbox import Draft, enqueue

    cid = person(phone="13800138000")
    with transaction(runtime.factory) as session:
        enqueue(session, runtime.cipher, Draft(key="r1", customer_id=cid, channel="sms", purpose="service",
                                               locale="zh-CN", subject=None, body="hi"))
    run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care_settings,
              owner="t")
    raw = json.dumps({"provider_id": "p-1", "status": "delivered"}).encode()
    url = "/api/v1/care/receipts/sms"
    assert api.post(url, content=raw).status_code == 401
    assert api.post(url, content=raw, headers={"X-Guanxi-Signature": sign("wrong", raw)}).status_code == 401
    reply = api.post(url, content=raw, headers={"X-Guanxi-Signature": sign("hook-secret", raw)})
    assert reply.status_code == 204, reply.text
    outbox = api.get("/api/v1/care/outbox", headers=auth("operations")).json()
    assert outbox[0]["status"] == "delivered"
    unknown = json.dumps({"provider_id": "nope", "status": "delivered"}).encode()
    assert api.post(url, content=unknown, headers={"X-Guanxi-Signature": sign("hook-secret", unknown)}).status_code == 404


def test_unsubscribe_link_and_sms_reply(api, person, runtime):
    cid = person(phone="13900139000")
    token = unsubscribe.make_token(runtime.secrets.session_secret, cid, "email")
    reply = api.get(f"/api/v1/care/unsubscribe/{token}")  # a link scanner's GET only asks
    assert reply.status_code == 200 and 'id="confirm-unsubscribe"' in reply.text and "e-mail" in reply.text
    with runtime.factory() as session:
        assert consents.allows(session, cid, "email", "marketing")
    reply = api.post(f"/api/v1/care/unsubscribe/{token}")
    assert reply.status_code == 200 and "Unsubscribed" in reply.text
    assert api.post(f"/api/v1/care/unsubscribe/{token}").status_code == 200  # one-click POST, repeated
    assert api.get("/api/v1/care/unsubscribe/forged").status_code == 422
    raw = json.dumps({"phone": "13900139000", "text": "TD"}).encode()
    reply = api.post("/api/v1/care/inbound/sms", content=raw, headers={"X-Guanxi-Signature": sign("hook-secret", raw)})
    assert reply.json() == {"unsubscribed": True}
    with runtime.factory() as session:
        assert not consents.allows(session, cid, "email", "marketing")
        assert not consents.allows(session, cid, "sms", "marketing")
        assert consents.allows(session, cid, "wechat", "marketing")
