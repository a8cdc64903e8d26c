"""The staff API of member events and product trials: bad input answers 4xx naming the field, the door
check-in refuses a used, forged or other event's ticket, picks stay within the quantity."""

from __future__ import annotations

import datetime as dt

from guanxi.db import utcnow
from guanxi.loyalty import activities

from tests.loyalty.test_points_api import post_order


def _iso(delta: dt.timedelta) -> str:
    return (utcnow() + delta).isoformat()


EVENT = {"kind": "live_qa", "title": "直播问答", "starts_at": _iso(dt.timedelta(days=2)),
         "ends_at": _iso(dt.timedelta(days=2, hours=1)), "link": "https://live.example/qa", "capacity": 1,
         "points": 20}


def test_event_validation_answers_422_naming_the_field(client, auth):
    h = auth("admin")
    cases = [({**EVENT, "kind": "party"}, "kind"), ({**EVENT, "capacity": 0}, "capacity"),
             ({**EVENT, "starts_at": "2026-12-01T10:00"}, "starts_at"),  # no zone
             ({**EVENT, "ends_at": EVENT["starts_at"]}, "ends_at"), ({**EVENT, "audience": {"segment_id": 999}}, "segment_id"),
             ({**EVENT, "audience": {"tiers": ["nope"]}}, "tiers"), ({**EVENT, "link": None}, "place")]
    for body, field in cases:
        r = client.post("/api/v1/loyalty/member-events", json=body, headers=h)
        assert r.status_code == 422, (field, r.text)
        assert field in r.text
    assert client.post("/api/v1/loyalty/member-events", json=EVENT, headers=auth("analyst")).status_code == 403


def test_answers_check_in_and_points_over_the_api(client, auth, runtime):
    h = auth("admin")
    first = post_order(client, h, "a-1", email="a@act.example")["customer_id"]
    second = post_order(client, h, "a-2", email="b@act.example")["customer_id"]
    event = client.post("/api/v1/loyalty/member-events", json=EVENT, headers=h).json()
    other = client.post("/api/v1/loyalty/member-events", json={**EVENT, "capacity": 5}, headers=h).json()
    url = f"/api/v1/loyalty/member-events/{event['id']}"
    assert client.post(f"{url}/rsvps", json={"customer_id": first, "answer": "yes"}, headers=h).status_code == 200
    full = client.post(f"{url}/rsvps", json={"customer_id": second, "answer": "yes"}, headers=h)
    assert full.status_code == 409 and "full" in full.json()["detail"]
    assert client.get(url, headers=h).json()["counts"]["yes"] == 1
    with runtime.factory() as session:
        token = activities.ticket(runtime.secrets.session_secret, activities.rsvp_of(session, event["id"], first))
    door = auth("service")
    assert client.post(f"/api/v1/loyalty/member-events/{other['id']}/check-ins", json={"token": token},
                       headers=door).status_code == 409
    done = client.post(f"{url}/check-ins", json={"token": token}, headers=door)
    assert done.status_code == 200 and done.json()["points"] == 20 and done.json()["rsvp"]["checked_in_at"]
    assert client.post(f"{url}/check-ins", json={"token": token}, headers=door).status_code == 409
    assert client.post(f"{url}/check-ins", json={"token": "1-deadbeef"}, headers=door).status_code == 422
    assert client.get(f"/api/v1/customers/{first}/points", headers=h).json()["available"] == 20
    assert client.post(f"{url}/check-ins", json={"token": token}, headers=auth("analyst")).status_code == 403
    shrink = client.patch(url, json={"capacity": 1, "title": "直播问答（加场）"}, headers=h)
    assert shrink.status_code == 200 and shrink.json()["title"] == "直播问答（加场）"


def test_trial_over_the_api(client, auth):
    h = auth("admin")
    people = [post_order(client, h, f"t-{i}", email=f"t{i}@act.example")["customer_id"] for i in range(3)]
    bad = client.post("/api/v1/loyalty/trials", json={"title": "试用", "sku": "S-1", "quantity": 1,
                                                        "apply_from": _iso(dt.timedelta(days=1)),
                                                        "apply_until": _iso(dt.timedelta(days=0))}, headers=h)
    assert bad.status_code == 422 and "apply_until" in bad.text and "after it starts" in bad.text
    trial = client.post("/api/v1/loyalty/trials", json={"title": "试用", "sku": "S-1", "quantity": 2,
                                                          "apply_from": _iso(-dt.timedelta(hours=1)),
                                                          "apply_until": _iso(dt.timedelta(days=1))}, headers=h).json()
    url = f"/api/v1/loyalty/trials/{trial['id']}"
    codes = [client.post(f"{url}/applications", json={"customer_id": c}, headers=h).status_code for c in people]
    assert codes == [201, 201, 201]
    assert client.post(f"{url}/applications", json={"customer_id": people[0]}, headers=h).status_code == 200
    over = client.post(f"{url}/picks", json={"customer_ids": people}, headers=h)
    assert over.status_code == 409 and "pick at most 2" in over.json()["detail"]
    assert client.post(f"{url}/picks", json={}, headers=h).status_code == 422
    picked = client.post(f"{url}/picks", json={"count": 2}, headers=h).json()
    assert [p["customer_id"] for p in picked] == people[:2]
    aid = picked[0]["id"]
    assert client.post(f"{url}/applications/{aid}/delivery", headers=h).json()["status"] == "delivered"
    assert client.post(f"{url}/applications/{aid}/shipment", headers=h).status_code == 409
    waiting = client.get(f"{url}/applications", params={"status": "applied"}, headers=h).json()
    assert [a["customer_id"] for a in waiting] == people[2:]
    assert client.get(f"{url}/applications", params={"status": "lost"}, headers=h).status_code == 422
    assert client.get("/api/v1/loyalty/trials/9999", headers=h).status_code == 404
