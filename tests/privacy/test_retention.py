import datetime as dt

from sqlalchemy import select

from guanxi.customers.models import CustomerEvent
from guanxi.worker import Worker

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)


def test_events_past_retention_are_deleted(client, auth, runtime):
    days = runtime.settings.retention_events_days
    assert days == 730
    events = [{"kind": "page_view", "customer": {"email": "r@example.com"}, "external_id": f"e{i}",
               "occurred_at": (NOW - dt.timedelta(days=d)).isoformat()}
              for i, d in enumerate((days + 30, days + 1, days - 1, 3))]
    assert client.post("/api/v1/events", json={"events": events}, headers=auth("tech")).status_code == 200
    worker = Worker(runtime.factory, runtime.settings, only=["customers.retention"])
    assert worker.run_due_jobs(now=NOW) == ["customers.retention"]
    with runtime.factory() as s:
        assert sorted(s.scalars(select(CustomerEvent.external_id))) == ["e2", "e3"]
    assert worker.run_due_jobs(now=NOW) == []  # once a day
