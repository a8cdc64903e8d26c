"""The editable root-cause list and canned-reply store on SQLite and PostgreSQL: API (4xx on bad
input), the resolution refusing unknown or retired causes, and the ticket page's picker."""

from __future__ import annotations

import re


def _open(client, h, **fields):
    r = client.post("/api/v1/tickets", json={"subject": "杯子碎了", "body": "快递外箱破损，杯子碎了", **fields}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def test_root_causes_seeded_edited_and_retired(client, auth, desk):
    h = auth("service")
    codes = {c["code"]: c for c in client.get("/api/v1/service/root-causes", headers=h).json()}
    assert "carrier" in codes and codes["carrier"]["name_zh"] == "快递物流" and codes["carrier"]["active"]
    body = {"code": "packaging", "name_en": "Packaging", "name_zh": "包装"}
    assert client.post("/api/v1/service/root-causes", headers=h, json=body).status_code == 201
    assert client.post("/api/v1/service/root-causes", headers=h, json=body).status_code == 200   # a retry: unchanged
    assert client.post("/api/v1/service/root-causes", headers=h, json={**body, "name_en": "Boxes"}).status_code == 409
    for bad in ({**body, "code": "Bad Code"}, {**body, "name_zh": ""}, {**body, "extra": 1}, {"code": "x"}):
        r = client.post("/api/v1/service/root-causes", headers=h, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.patch("/api/v1/service/root-causes/packaging", headers=h, json={"name_en": "Packing"})
    assert r.json()["name_en"] == "Packing"
    assert client.patch("/api/v1/service/root-causes/nope", headers=h, json={"active": False}).status_code == 404
    assert client.delete("/api/v1/service/root-causes/packaging", headers=h).json()["active"] is False
    assert client.get("/api/v1/service/root-causes", headers=auth("analyst")).status_code == 403


def test_resolution_refuses_unknown_and_retired_root_causes(client, auth, desk):
    h = auth("service")
    t = _open(client, h)
    r = client.post(f"/api/v1/tickets/{t['id']}/resolution", headers=h,
                    json={"root_cause": "bad_luck", "resolution_type": "explanation"})
    assert r.status_code == 422 and "'bad_luck' is not on the list" in r.json()["detail"] and "carrier" in r.json()["detail"]
    assert client.delete("/api/v1/service/root-causes/carrier", headers=h).status_code == 200
    r = client.post(f"/api/v1/tickets/{t['id']}/resolution", headers=h,
                    json={"root_cause": "carrier", "resolution_type": "explanation"})
    assert r.status_code == 422 and "'carrier' is retired" in r.json()["detail"]
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=h).json()["status"] != "resolved"   # nothing half-done
    client.post("/api/v1/service/root-causes", headers=h, json={"code": "packaging", "name_en": "Packaging",
                                                               "name_zh": "包装"})
    r = client.post(f"/api/v1/tickets/{t['id']}/resolution", headers=h,
                    json={"root_cause": "packaging", "resolution_type": "explanation"})
    assert r.status_code == 200 and r.json()["ticket"]["root_cause"] == "packaging"
    # Improvement actions name a cause from the same list.
    r = client.post("/api/v1/service/actions", headers=h, json={"title": "Better boxes", "root_cause": "carrier"})
    assert r.status_code == 422


def test_canned_replies_variables_checked_when_saved(client, auth, desk):
    h = auth("service")
    keys = [c["key"] for c in client.get("/api/v1/service/canned-replies", headers=h).json()]
    assert keys[:4] == ["apology", "need_photo", "refund_done", "points_granted"]   # the built-in ones, seeded
    body = {"key": "late_parcel", "title_en": "Parcel is late", "title_zh": "包裹延误",
            "body_en": "Dear $customer, ticket #$ticket: your parcel is late. — $agent",
            "body_zh": "$customer 您好，工单 #$ticket：您的包裹延误了。— $agent", "status": "waiting", "tag": "late"}
    assert client.post("/api/v1/service/canned-replies", headers=h, json=body).status_code == 201
    assert client.post("/api/v1/service/canned-replies", headers=h, json=body).status_code == 200
    r = client.post("/api/v1/service/canned-replies", headers=h, json={**body, "key": "x2", "body_en": "Hi $name"})
    assert r.status_code == 422 and "$name" in r.json()["detail"] and "$customer" in r.json()["detail"]
    r = client.post("/api/v1/service/canned-replies", headers=h, json={**body, "key": "x3", "body_zh": "价格 $ 100"})
    assert r.status_code == 422 and "$$" in r.json()["detail"]
    assert client.post("/api/v1/service/canned-replies", headers=h, json={**body, "key": "x4",
                                                                         "status": "resolved"}).status_code == 422
    r = client.patch("/api/v1/service/canned-replies/late_parcel", headers=h, json={"body_en": "Hello ${customer}!"})
    assert r.status_code == 200 and r.json()["body_en"] == "Hello ${customer}!"
    assert client.patch("/api/v1/service/canned-replies/late_parcel", headers=h,
                        json={"body_en": "Hello $who"}).status_code == 422
    assert client.delete("/api/v1/service/canned-replies/apology", headers=h).json()["active"] is False
    active = [c["key"] for c in client.get("/api/v1/service/canned-replies", params={"active": "true"}, headers=h).json()]
    assert "apology" not in active and "late_parcel" in active


def test_ticket_page_picker_uses_the_store(client, auth, runtime, customer, desk):
    from tests.service.test_pages import _staff
    from tests.web.forms import post_form

    h = auth("service")
    cid, _, _ = customer()
    t = _open(client, h, customer_id=cid)
    client.post("/api/v1/service/canned-replies", headers=h, json={
        "key": "late_parcel", "title_en": "Parcel is late", "title_zh": "包裹延误",
        "body_en": "Dear $customer, your parcel for ticket #$ticket is late.", "body_zh": "$customer 您好，包裹延误了。",
        "status": "waiting", "tag": "late"})
    client.delete("/api/v1/service/canned-replies/apology", headers=h)
    client.delete("/api/v1/service/root-causes/fraud", headers=h)
    _staff(client, runtime)
    page = f"/tickets/{t['id']}"
    html = client.get(page).text
    assert "Parcel is late" in html and 'value="apology"' not in html
    assert 'value="carrier"' in html and 'value="fraud"' not in html
    r = post_form(client, page, f"{page}/reply", {"template": "late_parcel", "body": ""}, follow_redirects=False)
    assert r.status_code == 303, r.text
    ticket = client.get(f"/api/v1/tickets/{t['id']}", headers=h).json()
    assert ticket["status"] == "waiting" and "late" in ticket["tags"]
    assert ticket["messages"][-1]["body"] == f"Dear 王芳, your parcel for ticket #{t['id']} is late."
    r = post_form(client, page, f"{page}/reply", {"template": "apology", "body": ""}, follow_redirects=False)
    assert r.status_code == 422 and "apology" in r.text
