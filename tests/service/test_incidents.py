"""Incidents: grouped, answered and resolved together; a customer's reply reopens only their ticket."""

from __future__ import annotations


def test_outage_grouped_answered_resolved_and_reopened_alone(client, auth, customer, desk):
    h = auth("service")
    ids = []
    for i in range(5):
        cid, _, _ = customer()
        ids.append(client.post("/api/v1/tickets", headers=h, json={
            "subject": "付款失败", "body": f"支付的时候一直报错，扣款失败 {i}", "customer_id": cid}).json()["id"])
    cands = client.get("/api/v1/service/incidents/candidates", headers=h).json()
    assert cands == [{"category": "system", "subcategory": "payment", "kind": "payment", "tickets": ids}]

    inc = client.post("/api/v1/service/incidents", headers=h,
                      json={"title": "支付通道故障", "kind": "payment", "ticket_ids": ids[:4]}).json()
    inc = client.post(f"/api/v1/service/incidents/{inc['id']}/tickets", headers=h, json={"ticket_ids": [ids[4]]}).json()
    assert inc["ticket_ids"] == ids
    assert client.get("/api/v1/service/incidents/candidates", headers=h).json() == []

    client.post(f"/api/v1/service/incidents/{inc['id']}/replies", headers=h, json={"body": "支付通道正在修复，请稍候"})
    for tid in ids:
        t = client.get(f"/api/v1/tickets/{tid}", headers=h).json()
        assert t["status"] == "open" and t["messages"][-1]["body"] == "支付通道正在修复，请稍候"

    done = client.post(f"/api/v1/service/incidents/{inc['id']}/resolution", headers=h, json={"note": "已修复"}).json()
    assert done["status"] == "resolved"
    assert {client.get(f"/api/v1/tickets/{t}", headers=h).json()["status"] for t in ids} == {"resolved"}
    assert client.post(f"/api/v1/service/incidents/{inc['id']}/resolution", headers=h, json={}).status_code == 409

    # one customer writes again: only that ticket reopens
    client.post(f"/api/v1/tickets/{ids[0]}/messages", headers=h, json={"direction": "in", "body": "还是不行"})
    statuses = [client.get(f"/api/v1/tickets/{t}", headers=h).json()["status"] for t in ids]
    assert statuses == ["open", "resolved", "resolved", "resolved", "resolved"]


def test_incident_needs_known_tickets(client, auth, desk):
    h = auth("service")
    inc = client.post("/api/v1/service/incidents", headers=h, json={"title": "快递延误", "kind": "carrier"}).json()
    r = client.post(f"/api/v1/service/incidents/{inc['id']}/tickets", headers=h, json={"ticket_ids": [999999]})
    assert r.status_code == 422
    assert client.get("/api/v1/service/incidents/424242", headers=h).status_code == 404
