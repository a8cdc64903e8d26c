"""The audit log: API writes are recorded, rows cannot be changed or removed young, unusual access alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from guanxi.db import transaction, utcnow
from guanxi.privacy import audit
from guanxi.privacy.models import AdminAlert, AuditEntry
from guanxi.staff.roles import Actor, Role
from guanxi.worker import Worker


def test_api_writes_are_audited_with_actor_and_path(client, make_token):
    headers = {"Authorization": f"Bearer {make_token('admin', name='ops-admin')}"}
    reply = client.post("/api/v1/tokens", headers=headers, json={"name": "erp", "role": "tech"})
    assert reply.status_code == 201, reply.text
    rid = reply.headers["x-request-id"]
    client.get("/api/v1/tokens", headers=headers)  # reads of non-personal data are not audited

    page = client.get("/api/v1/audit", headers=headers, params={"by": "token:ops-admin"}).json()
    kinds = {e["kind"]: e for e in page["items"]}
    assert set(kinds) == {"api_write", "token_created"}
    write = kinds["api_write"]
    assert write["actor"] == "token:ops-admin" and write["actor_role"] == "admin"
    assert write["details"] == {**write["details"], "method": "POST", "path": "/api/v1/tokens", "status": 201}
    assert write["request_id"] == rid
    assert kinds["token_created"]["subject_type"] == "token" and kinds["token_created"]["subject_id"] == "erp"


def test_refused_writes_are_audited_too(client, make_token):
    headers = {"Authorization": f"Bearer {make_token('content', name='writer')}"}
    assert client.post("/api/v1/staff", headers=headers, json={}).status_code in (403, 422)
    admin = {"Authorization": f"Bearer {make_token('admin')}"}
    items = client.get("/api/v1/audit", headers=admin, params={"by": "token:writer", "kind": "api_write"}).json()["items"]
    assert [e["details"]["path"] for e in items] == ["/api/v1/staff"]


def test_audit_pages_with_a_cursor(client, runtime, auth):
    actor = Actor(kind="token", id=None, name="pager", role=Role.tech)
    with transaction(runtime.factory) as session:
        for n in range(5):
            audit.record(session, audit.AuditKind.api_write, actor, n=n)
    headers = auth("admin")
    seen, cursor = [], None
    while True:
        params = {"by": "token:pager", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/audit", headers=headers, params=params).json()
        seen += [e["details"]["n"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [4, 3, 2, 1, 0]


def _add_entry(runtime, at: dt.datetime) -> int:
    with transaction(runtime.factory) as session:
        entry = AuditEntry(at=at, actor="system:system", actor_role="admin", kind="api_write", details={})
        session.add(entry)
        session.flush()
        return entry.id


def test_the_audit_table_refuses_updates(runtime):
    entry_id = _add_entry(runtime, utcnow() - dt.timedelta(days=400))  # even old rows stay as written
    with pytest.raises(DBAPIError, match="append-only"):
        with runtime.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET actor = 'someone:else' WHERE id = :id"), {"id": entry_id})
    with runtime.factory() as session:
        assert session.get(AuditEntry, entry_id).actor == "system:system"


def test_the_audit_table_keeps_rows_six_months(runtime):
    young = _add_entry(runtime, utcnow() - dt.timedelta(days=170))
    old = _add_entry(runtime, utcnow() - dt.timedelta(days=200))
    with pytest.raises(DBAPIError, match="six months"):
        with runtime.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": young})
    with runtime.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": old})
    with runtime.factory() as session:
        assert set(session.scalars(select(AuditEntry.id))) == {young}


def test_the_retention_job_purges_only_expired_rows(runtime):
    keep = _add_entry(runtime, utcnow() - dt.timedelta(days=300))
    _add_entry(runtime, utcnow() - dt.timedelta(days=500))
    worker = Worker(runtime.factory, runtime.settings, only=["privacy.audit_retention"])
    assert worker.run_due_jobs() == ["privacy.audit_retention"]
    assert worker.run_due_jobs() == []  # once per day
    with runtime.factory() as session:
        assert list(session.scalars(select(AuditEntry.id))) == [keep]  # retention is 400 days


def test_unusual_personal_data_access_alerts_admins(client, runtime, auth, monkeypatch):
    monkeypatch.setattr(runtime.settings, "pii_alert_per_hour", 3)
    limit = runtime.settings.pii_alert_per_hour
    busy = Actor(kind="user", id=None, name="busy@shop.example", role=Role.service)
    calm = Actor(kind="token", id=None, name="crm-sync", role=Role.service)

    def reads(actor: Actor, n: int, start: int = 0) -> None:
        with transaction(runtime.factory) as session:
            for i in range(start, start + n):
                audit.record_pii_read(session, actor, "customer", i, threshold_per_hour=limit)

    def alerts() -> list[AdminAlert]:
        with runtime.factory() as session:
            return list(session.scalars(select(AdminAlert)))

    reads(busy, limit)
    reads(calm, limit)
    assert alerts() == []  # at the limit: no alert yet
    reads(busy, 1, start=limit)
    reads(busy, 5, start=limit + 1)  # one alert an hour, not one per read
    [alert] = alerts()
    assert alert.kind == "unusual_pii_access" and alert.actor == "user:busy@shop.example"
    assert alert.details == {"count": limit + 1, "threshold": limit}

    listed = client.get("/api/v1/alerts", headers=auth("admin")).json()
    assert listed["count"] == 1
    assert listed["items"][0]["actor"] == "user:busy@shop.example"
    assert "busy@shop.example" in listed["items"][0]["message"]
    with runtime.factory() as session:
        counted = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "pii_viewed"))
    assert counted == 2 * limit + 6


def test_access_report_groups_reads_by_person(runtime):
    li = Actor(kind="user", id=None, name="li@shop.example", role=Role.service)
    with transaction(runtime.factory) as session:
        for customer in (7, 8, 8):
            audit.record_pii_read(session, li, "customer", customer, threshold_per_hour=100)
        audit.record_pii_read(session, li, "customer", 9, threshold_per_hour=100, kind=audit.AuditKind.pii_exported)
        audit.record(session, audit.AuditKind.api_write, li, subject_type="customer", subject_id=10)  # not a read
        session.add(AuditEntry(at=utcnow() - dt.timedelta(days=40), actor=li.ref, actor_role="service",
                               kind="pii_viewed", subject_type="customer", subject_id="11", details={}))
    now = utcnow()
    with runtime.factory() as session:
        rows = audit.access_report(session, li.ref, now - dt.timedelta(days=1), now + dt.timedelta(minutes=1))
        older = audit.access_report(session, li.ref, now - dt.timedelta(days=60), now - dt.timedelta(days=1))
    assert {(r["subject_id"], r["kind"]): r["reads"] for r in rows} == {
        ("7", "pii_viewed"): 1, ("8", "pii_viewed"): 2, ("9", "pii_exported"): 1}
    first, last = dt.datetime.fromisoformat(rows[1]["first"]), dt.datetime.fromisoformat(rows[1]["last"])
    assert first <= last and first.tzinfo is not None
    assert [(r["subject_id"], r["reads"]) for r in older] == [("11", 1)]
