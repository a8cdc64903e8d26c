"""Messages on the customer's timeline, in their export, and gone on erasure."""

from __future__ import annotations

import datetime as dt

from guanxi.care import privacy_hooks  # noqa: F401  (registers the hooks)
from guanxi.care.delivery import run_drain
from guanxi.care.models import OutboxMessage
from guanxi.care.outbox import Draft, enqueue
from guanxi.customers import privacy_hooks as _customers  # noqa: F401
from guanxi.customers import profiles
from guanxi.db import transaction
from guanxi.privacy import requests
from guanxi.staff.roles import SYSTEM

EARLY = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _queue(runtime, cid, key, body):
    with transaction(runtime.factory) as session:
        return enqueue(session, runtime.cipher, Draft(key=key, customer_id=cid, channel="email", purpose="service",
                                                      locale="zh-CN", subject="订单", body=body, not_before=EARLY))


def test_timeline_export_and_erasure(runtime, smtp, care_settings, person):
    cid = person("Zephyrine Quabblestone")
    sent = _queue(runtime, cid, "k1", "Dear Zephyrine Quabblestone")
    run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care_settings,
              owner="t")
    waiting = _queue(runtime, cid, "k2", "Again, Zephyrine")
    with runtime.factory() as session:
        entries = [e for e in profiles.timeline(session, cid) if e["domain"] == "care"]
        assert [(e["kind"], e["status"], e["message_id"]) for e in entries] == [("message", "sent", sent)]
        assert "Zephyrine" not in entries[0]["summary"]
    with transaction(runtime.factory) as session:
        doc = requests.export(session, runtime.cipher, cid, SYSTEM)
    bodies = [m["body"] for m in doc["domains"]["care"]["messages"]]
    assert bodies == ["Dear Zephyrine Quabblestone", "Again, Zephyrine"]
    with transaction(runtime.factory) as session:
        result = requests.erase(session, runtime.cipher, cid, SYSTEM)
    assert result["domains"]["care"] == {"messages": 2}
    with runtime.factory() as session:
        rows = {m.id: m for m in session.query(OutboxMessage)}
    assert rows[sent].body_enc is None and rows[sent].subject_enc is None and rows[sent].status == "sent"
    assert (rows[waiting].status, rows[waiting].reason) == ("suppressed", "erased")
