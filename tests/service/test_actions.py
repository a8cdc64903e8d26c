"""The loop beyond one ticket: improvement actions with before/after rates and complainants told through
care; progress updates to customers with open tickets, once per period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from guanxi.care.models import OutboxMessage
from guanxi.db import transaction
from guanxi.service import care_messages, tickets
from guanxi.service.tickets import TicketIn


def _outbox(runtime, prefix: str) -> list[str]:
    with runtime.factory() as s:
        return sorted(s.scalars(select(OutboxMessage.idempotency_key).where(
            OutboxMessage.idempotency_key.like(f"{prefix}%"))))


def test_improvement_action_tells_every_complainant_once(client, auth, customer, desk, runtime):
    h = auth("service")
    people = [customer()[0] for _ in range(2)]
    for cid in people + [people[0]]:
        tid = client.post("/api/v1/tickets", headers=h, json={"subject": "杯子碎了", "body": "外箱破损，杯子碎了",
                                                              "customer_id": cid}).json()["id"]
        client.post(f"/api/v1/tickets/{tid}/resolution", headers=h,
                    json={"root_cause": "warehouse", "resolution_type": "replacement"})
    team = client.get("/api/v1/service/teams", headers=h).json()[0]["id"]
    a = client.post("/api/v1/service/actions", headers=h, json={
        "title": "加厚包装", "root_cause": "warehouse", "category": "logistics", "team_id": team,
        "due_on": "2026-12-31"}).json()
    assert a["status"] == "open" and a["before_per_week"] > 0 and a["after_per_week"] is None
    assert client.post(f"/api/v1/service/actions/{a['id']}/transitions", headers=h,
                       json={"status": "in_progress"}).status_code == 200
    done = client.post(f"/api/v1/service/actions/{a['id']}/transitions", headers=h, json={"status": "done"}).json()
    assert done["customers_told"] == 2 and done["after_per_week"] == 0.0
    assert _outbox(runtime, f"improvement:{a['id']}:") == sorted(f"improvement:{a['id']}:{c}" for c in people)
    assert client.post(f"/api/v1/service/actions/{a['id']}/transitions", headers=h,
                       json={"status": "open"}).status_code == 409
    assert client.post("/api/v1/service/actions", headers=h, json={"title": "x", "root_cause": "bad luck"}).status_code == 422
    assert [x["id"] for x in client.get("/api/v1/service/actions", params={"status": "done"}, headers=h).json()] == [a["id"]]


def test_progress_updates_once_per_period(runtime, cfg, desk, customer):
    cid, _, _ = customer()
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    with transaction(runtime.factory) as s:
        open_t, _ = tickets.create(s, cfg, TicketIn(subject="还没到", body="物流太慢", customer_id=cid), "api", now=t0)
        done_t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y", customer_id=cid), "api", now=t0)
        tickets.move(s, cfg, done_t, "resolved", "Ann", now=t0 + dt.timedelta(hours=1))
    now = dt.datetime.now(dt.UTC)
    for _ in range(2):
        with transaction(runtime.factory) as s:
            care_messages.progress_updates(s, runtime.cipher, now, 24)
    assert _outbox(runtime, "ticket-progress:") == [f"ticket-progress:{open_t.id}:1"]
    with transaction(runtime.factory) as s:
        care_messages.progress_updates(s, runtime.cipher, now + dt.timedelta(hours=24), 24)
    assert _outbox(runtime, "ticket-progress:") == [f"ticket-progress:{open_t.id}:1", f"ticket-progress:{open_t.id}:2"]
    with runtime.factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == "service")) == 2
