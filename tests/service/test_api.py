"""The service-desk API on SQLite and PostgreSQL: tickets, conversation, resolution, surveys, hooks."""

from __future__ import annotations

import base64

from guanxi.customers import hooks


def _open(client, headers, **fields):
    body = {"subject": "杯子碎了", "body": "快递外箱破损，杯子碎了", **fields}
    reply = client.post("/api/v1/tickets", json=body, headers=headers)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def test_ticket_lifecycle_over_http(client, auth, customer, desk):
    cid, order_id, lines = customer(delivered_days_ago=1)
    h = auth("service")
    t = _open(client, h, customer_id=cid, order_id=order_id, importance="high", urgency="high",
              attachments=[{"filename": "photo.png", "content_type": "image/png",
                            "data_base64": base64.b64encode(b"\x89PNG....").decode()}])
    assert (t["category"], t["subcategory"], t["priority"], t["status"]) == ("logistics", "damaged", "P1", "new")
    assert t["messages"][0]["attachments"][0]["filename"] == "photo.png"
    assert t["first_response"]["due"] and t["first_response"]["budget_seconds"] == 1800
    tid = t["id"]

    listed = client.get("/api/v1/tickets", params={"status": ["new", "open"]}, headers=h).json()["items"]
    assert [x["id"] for x in listed] == [tid]

    r = client.post(f"/api/v1/tickets/{tid}/messages", json={"direction": "out", "body": "抱歉！我们马上处理"}, headers=h)
    assert r.status_code == 201
    r = client.patch(f"/api/v1/tickets/{tid}", json={"tags": ["broken-glass"], "urgency": "low"}, headers=h)
    assert r.json()["status"] == "open" and r.json()["priority"] == "P2" and r.json()["tags"] == ["broken-glass"]
    r = client.post(f"/api/v1/tickets/{tid}/returns", json={"kind": "exchange", "order_line_id": lines[0]}, headers=h)
    assert r.status_code == 201 and r.json()["returnable"] is True
    ret = r.json()["id"]
    assert client.post(f"/api/v1/tickets/{tid}/returns/{ret}/transitions", json={"state": "approved"},
                       headers=h).json()["state"] == "approved"
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"status": "closed"}, headers=h)
    assert r.status_code == 409
    r = client.post(f"/api/v1/tickets/{tid}/transitions", json={"status": "waiting"}, headers=h)
    assert r.json()["resolution"]["state"] == "paused"

    r = client.post(f"/api/v1/tickets/{tid}/resolution", headers=h, json={
        "root_cause": "carrier", "resolution_type": "points", "goodwill_points": 200, "note": "sent a new mug"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["ticket"]["status"] == "resolved" and done["ticket"]["goodwill_points"] == 200
    assert done["ticket"]["goodwill_ref"].startswith("loyalty:")
    points = client.get(f"/api/v1/customers/{cid}/points", headers=auth("admin"))
    assert points.status_code == 200 and points.json()["available"] == 200, points.text
    assert done["ticket"]["follow_up_on"]
    link = done["survey_link"]
    token = link.rsplit("/", 1)[1]

    # single-use CSAT link, answered without signing in
    r = client.post(f"/api/v1/surveys/{token}/answers", json={"score": 5, "comment": "很好"})
    assert r.status_code == 201 and r.json()["follow_up_ticket_id"] is None
    assert client.post(f"/api/v1/surveys/{token}/answers", json={"score": 4}).status_code == 409
    assert client.post("/api/v1/surveys/not-a-real-token/answers", json={"score": 4}).status_code == 404

    detail = client.get(f"/api/v1/tickets/{tid}", headers=h).json()
    kinds = [e["kind"] for e in detail["events"]]
    assert "ticket_created" in kinds and "ticket_resolved" in kinds and "status_changed" in kinds


def test_same_external_id_twice(client, auth, desk):
    h = auth("tech")   # the shop's integration token
    a = client.post("/api/v1/tickets", json={"subject": "x", "body": "login", "source": "shop", "external_id": "T1"}, headers=h)
    b = client.post("/api/v1/tickets", json={"subject": "x", "body": "login", "source": "shop", "external_id": "T1"}, headers=h)
    assert (a.status_code, b.status_code) == (201, 200) and a.json()["id"] == b.json()["id"]


def test_roles(client, auth, desk):
    assert client.post("/api/v1/tickets", json={"subject": "x", "body": "y"}, headers=auth("content")).status_code == 403
    assert client.get("/api/v1/tickets", headers=auth("analyst")).status_code == 403
    assert client.get("/api/v1/tickets").status_code == 401


def test_goodwill_above_the_role_limit_is_refused(client, auth, customer, desk):
    cid, _, _ = customer()
    h = auth("service")
    t = _open(client, h, customer_id=cid)
    r = client.post(f"/api/v1/tickets/{t['id']}/resolution", headers=h,
                    json={"root_cause": "carrier", "resolution_type": "points", "goodwill_points": 501})
    assert r.status_code == 403
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=h).json()["status"] == "new"


def test_negative_csat_and_nps_detractor_open_tickets(client, auth, customer, desk):
    cid, _, _ = customer()
    h = auth("service")
    t = _open(client, h, customer_id=cid)
    link = client.post(f"/api/v1/tickets/{t['id']}/resolution", headers=h,
                       json={"root_cause": "carrier", "resolution_type": "explanation"}).json()["survey_link"]
    r = client.post(f"/api/v1/surveys/{link.rsplit('/', 1)[1]}/answers", json={"score": 1, "comment": "还是碎的"})
    follow = r.json()["follow_up_ticket_id"]
    assert follow and follow != t["id"]
    ft = client.get(f"/api/v1/tickets/{follow}", headers=h).json()
    assert ft["source"] == "survey" and ft["customer_id"] == cid and ft["messages"][0]["body"] == "还是碎的"
    assert ft["category"] == t["category"]

    sent = client.post("/api/v1/surveys", json={"kind": "nps", "customer_id": cid}, headers=h).json()
    r = client.post(f"/api/v1/surveys/{sent['link'].rsplit('/', 1)[1]}/answers", json={"score": 11})
    assert r.status_code == 422
    r = client.post(f"/api/v1/surveys/{sent['link'].rsplit('/', 1)[1]}/answers", json={"score": 6, "comment": "meh"})
    assert r.json()["follow_up_ticket_id"]
    sent = client.post("/api/v1/surveys", json={"kind": "nps", "customer_id": cid}, headers=h).json()
    r = client.post(f"/api/v1/surveys/{sent['link'].rsplit('/', 1)[1]}/answers", json={"score": 9})
    assert r.json()["follow_up_ticket_id"] is None


def test_categories_edit_and_accuracy(client, auth, desk):
    h = auth("service")
    cats = client.get("/api/v1/service/categories", headers=h).json()
    assert len(cats) == 12 and {c["category"] for c in cats} == {"product", "logistics", "service", "system"}
    r = client.put("/api/v1/service/categories/product/allergy", headers=h,
                   json={"name_en": "Allergy", "name_zh": "过敏", "keywords": ["过敏"]})
    assert r.status_code == 200
    t = _open(client, h, subject="过敏", body="皮肤过敏了")
    assert t["subcategory"] == "allergy"
    client.patch(f"/api/v1/tickets/{t['id']}", json={"category": "product", "subcategory": "quality"}, headers=h)
    acc = client.get("/api/v1/service/categories/accuracy", headers=h).json()
    assert acc == {"suggested": 1, "correct": 0, "rate": 0.0, "classifier": None}   # not trained yet
    assert client.put("/api/v1/service/categories/weather/rain", headers=h,
                      json={"name_en": "Rain", "name_zh": "雨"}).status_code == 422


def test_teams_and_agents_over_http(client, auth):
    h = auth("service")
    team = client.post("/api/v1/service/teams", json={"name": "Night"}, headers=h).json()
    a = client.post(f"/api/v1/service/teams/{team['id']}/agents", json={"name": "Eve"}, headers=h)
    assert a.status_code == 201 and a.json()["skills"] == ["*"]
    t = _open(client, h)
    assert t["team_id"] == team["id"] and t["assignee_id"] == a.json()["id"]


def test_customer_hooks_timeline_export_erase_merge(client, auth, customer, desk, runtime):
    cid, _, _ = customer()
    other, _, _ = customer()
    h = auth("service")
    t = _open(client, h, customer_id=other, body="我的手机号是13800138000，杯子碎了")
    with runtime.factory() as s:
        assert hooks.timeline_sources["tickets"](s, other, 10)[0]["ticket_id"] == t["id"]
        exported = hooks.exporters["tickets"](s, other)
        assert exported[0]["messages"][0]["body"].startswith("我的手机号")
        moved = hooks.movers["tickets"][0](s, other, cid)
        assert moved["tickets"] == [t["id"]]
        s.commit()
        hooks.movers["tickets"][1](s, moved, other)
        s.commit()
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=h).json()["customer_id"] == other
    with runtime.factory() as s:
        hooks.erasers["tickets"](s, other)
        s.commit()
    erased = client.get(f"/api/v1/tickets/{t['id']}", headers=h).json()
    assert erased["subject"] == "[erased]" and erased["messages"][0]["body"] == "[erased]"
    assert erased["category"] == "logistics"      # statistics survive
