"""Static snapshots and the audited, role-aware CSV export of segments, over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from guanxi.analytics import membership
from guanxi.customers import profiles
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import transaction, utcnow
from guanxi.privacy.models import AuditEntry
from tests.analytics.test_api import _ready

SHANGHAI = {"field": "city", "op": "=", "value": "上海"}


def _rows(reply) -> list[dict]:
    assert reply.status_code == 200, reply.text
    return list(csv.DictReader(io.StringIO(reply.text)))


def test_snapshot_freezes_members_and_live_segment_moves(runtime, client, auth):
    ids = _ready(runtime)
    ops = auth("operations")
    live = client.post("/api/v1/segments", json={"name": "shanghai", "rule": SHANGHAI}, headers=ops).json()
    assert live["kind"] == "dynamic" and live["members"] > 0
    snap = client.post(f"/api/v1/segments/{live['id']}/snapshot", json={"name": "shanghai june"}, headers=ops)
    assert snap.status_code == 201, snap.text
    snap = snap.json()
    assert snap["kind"] == "static" and snap["snapshot_of"] == live["id"] and snap["members"] == live["members"]
    assert client.post(f"/api/v1/segments/{live['id']}/snapshot", json={"name": "shanghai june"},
                       headers=ops).status_code == 409
    assert client.post(f"/api/v1/segments/{snap['id']}/snapshot", json={"name": "again"},
                       headers=ops).status_code == 422
    assert client.post("/api/v1/segments/999999/snapshot", json={"name": "x"}, headers=ops).status_code == 404
    assert client.post(f"/api/v1/segments/{live['id']}/snapshot", json={"name": "x", "extra": 1},
                       headers=ops).status_code == 422

    before = utcnow()
    mover = ids[1]  # lives in 北京: moves to 上海 through the customers API, and enters the live segment
    assert client.patch(f"/api/v1/customers/{mover}", json={"city": "上海"}, headers=ops).status_code == 200
    moved = client.get(f"/api/v1/segments/{live['id']}", headers=ops).json()
    assert moved["members"] == live["members"] + 1
    assert client.get(f"/api/v1/segments/{snap['id']}", headers=ops).json()["members"] == snap["members"]
    with runtime.factory() as session:
        assert [cid for cid, _ in membership.entered_since(session, live["id"], before)] == [mover]
        assert membership.left_since(session, live["id"], before) == []


def test_export_csv_by_role_and_audited(runtime, client, auth):
    ids = _ready(runtime)
    with transaction(runtime.factory) as session:
        profiles.upsert_customer(session, runtime.cipher, PersonIn(
            [IdentityKey("external", "shop", "c0"), IdentityKey("email", "", "li.lei@example.com")], name="李雷"))
    seg = client.post("/api/v1/segments", json={"name": "shanghai", "rule": SHANGHAI},
                      headers=auth("operations")).json()
    full = _rows(client.get(f"/api/v1/segments/{seg['id']}/export.csv", headers=auth("admin")))
    assert len(full) == seg["members"] and {int(r["customer_id"]) for r in full} >= {ids[0]}
    first = next(r for r in full if int(r["customer_id"]) == ids[0])
    assert first["email"] == "li.lei@example.com" and first["name"] == "李雷" and first["member_since"]
    masked = _rows(client.get(f"/api/v1/segments/{seg['id']}/export.csv", headers=auth("operations")))
    first = next(r for r in masked if int(r["customer_id"]) == ids[0])
    assert first["email"] == "l***@example.com" and first["name"] != "李雷"
    reply = client.get(f"/api/v1/segments/{seg['id']}/export.csv", headers=auth("analyst"))
    hidden = _rows(reply)
    assert len(hidden) == len(full) and set(hidden[0]) == {"pseudonym", "member_since", "segment", "lifecycle_stage",
                                                           "orders", "clv_minor", "currency", "churn_risk"}
    assert all(r["pseudonym"].startswith("p_") for r in hidden)
    assert "li.lei" not in reply.text and "李雷" not in reply.text
    assert client.get(f"/api/v1/segments/{seg['id']}/export.csv", headers=auth("content")).status_code == 403
    assert client.get("/api/v1/segments/999999/export.csv", headers=auth("admin")).status_code == 404
    with runtime.factory() as session:
        audits = session.execute(select(AuditEntry.kind, AuditEntry.actor_role, AuditEntry.details)
                                 .where(AuditEntry.subject_type == "segment").order_by(AuditEntry.id)).all()
    assert [(k, r) for k, r, _ in audits] == [("pii_exported", "admin"), ("pii_exported", "operations"),
                                              ("segment_exported", "analyst")]
    assert audits[0][2]["rows"] == len(full) and audits[2][2]["pseudonymised"] is True
