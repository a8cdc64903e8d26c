"""Quality checks: a sample of closed tickets, a checklist score, a scorecard per agent."""

from __future__ import annotations


def test_sample_review_and_scorecard(client, auth, customer, desk):
    h = auth("service")
    cid, _, _ = customer()
    ids = []
    for i in range(4):
        tid = client.post("/api/v1/tickets", headers=h, json={"subject": f"q{i}", "body": "质量不好",
                                                              "customer_id": cid}).json()["id"]
        client.post(f"/api/v1/tickets/{tid}/messages", headers=h, json={"body": "您好，马上处理"})
        ids.append(tid)
    open_one = ids.pop()
    for tid in ids:
        link = client.post(f"/api/v1/tickets/{tid}/resolution", headers=h,
                           json={"root_cause": "supplier", "resolution_type": "replacement"}).json()["survey_link"]
        client.post(f"/api/v1/surveys/{link.rsplit('/', 1)[1]}/answers", json={"score": 4})
    sample = client.get("/api/v1/service/quality/sample", params={"size": 10}, headers=h).json()
    assert sorted(t["id"] for t in sample) == ids
    checklist = client.get("/api/v1/service/quality/checklist", headers=h).json()
    answers = {k: True for k in checklist} | {"greeting": False}
    r = client.post(f"/api/v1/tickets/{ids[0]}/quality-review", headers=h, json={"answers": answers})
    assert r.status_code == 201 and r.json()["score"] == round(100 * 5 / 6, 1)
    assert client.post(f"/api/v1/tickets/{ids[0]}/quality-review", headers=h, json={"answers": answers}).status_code == 409
    assert client.post(f"/api/v1/tickets/{open_one}/quality-review", headers=h, json={"answers": answers}).status_code == 409
    assert client.post(f"/api/v1/tickets/{ids[1]}/quality-review", headers=h,
                       json={"answers": {"vibes": True}}).status_code == 422
    assert ids[0] not in [t["id"] for t in client.get("/api/v1/service/quality/sample", headers=h).json()]
    card = client.get("/api/v1/service/quality/scorecard", headers=h).json()
    row = next(r for r in card if r["reviews"])
    assert row["quality_score"] == round(100 * 5 / 6, 1) and row["csat"] == 4.0 and row["sla_attainment"] == 1.0
