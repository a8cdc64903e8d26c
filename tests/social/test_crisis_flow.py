"""Crisis detection end to end: baseline + spike → crisis, ticket, webhook alert; re-runs change nothing;
status until closed. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from guanxi.care.channels.http import sign
from guanxi.db import transaction
from guanxi.service.models import Ticket
from guanxi.social import crisis_store
from guanxi.social.ingest import MentionIn, ingest
from guanxi.social.jobs import detect_for_hour
from guanxi.social.models import CrisisEvent

NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
SPIKE = NOW - dt.timedelta(hours=1)


def _history(runtime):
    items = []
    for h in range(2, 72):  # three days of a quiet shop: one complaint every other hour, praise every hour
        at = SPIKE - dt.timedelta(hours=h) + dt.timedelta(minutes=7)
        items.append(MentionIn("weibo", f"ok-{h}", "post", "质量很好，物流很快", at, author_ref=f"a{h}"))
        if h % 2:
            items.append(MentionIn("weibo", f"meh-{h}", "comment", "发货太慢了", at, author_ref=f"b{h}"))
    with transaction(runtime.factory) as s:
        ingest(s, runtime.cipher, items)


def _spike(runtime, n=15):
    items = [MentionIn("weibo", f"spike-{i}", "comment", f"质量太差了，开线了，非常失望 {i}", SPIKE + dt.timedelta(minutes=i),
                       author_ref=f"c{i}", author_followers=100) for i in range(n)]
    items.append(MentionIn("weibo", "kol-1", "post", "曝光：这家店卖假货，充电宝有安全隐患，已向315投诉",
                           SPIKE + dt.timedelta(minutes=30), author_ref="kol", author_followers=3_000_000, likes=5000))
    with transaction(runtime.factory) as s:
        ingest(s, runtime.cipher, items)


def test_a_quiet_hour_opens_nothing(runtime, social):
    _history(runtime)
    got = detect_for_hour(runtime.factory, runtime.settings, social, SPIKE, NOW)
    assert got == {"hour": SPIKE.isoformat(), "signal": False}


def test_a_spike_opens_a_crisis_with_a_ticket_and_an_alert_once(runtime, social, loopback, client, auth):
    _history(runtime)
    _spike(runtime)
    first = detect_for_hour(runtime.factory, runtime.settings, social, SPIKE, NOW)
    assert first["signal"] and first["opened"] and first["ticket_id"] and first["alerted"] == ["webhook"]
    again = detect_for_hour(runtime.factory, runtime.settings, social, SPIKE + dt.timedelta(minutes=20), NOW)
    assert again["crisis_id"] == first["crisis_id"] and not again["opened"] and again["alerted"] == []

    hooks = [r for r in loopback.requests if r["path"] == "/alerts"]
    assert len(hooks) == 1
    assert hooks[0]["headers"]["X-Guanxi-Signature"] == sign("s3cret", hooks[0]["body"])
    assert "舆情" in json.loads(hooks[0]["body"])["subject"]
    with transaction(runtime.factory) as s:
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.source == "social",
                                                                       Ticket.external_id.like("crisis:%"))) == 1
        assert s.scalar(select(func.count()).select_from(CrisisEvent).where(CrisisEvent.kind == "signal")) == 1

    detail = client.get(f"/api/v1/social/crises/{first['crisis_id']}", headers=auth("service")).json()
    assert detail["status"] == "open" and set(detail["reasons"]) == {"volume", "keywords"}
    assert detail["top_posts"][0]["external_id"] == "kol-1"
    assert [e["kind"] for e in detail["timeline"]][:3] == ["signal", "ticket_opened", "alert_sent"]
    assert detail["templates"] and "假货" in detail["keywords"]

    staff = auth("service")
    url = f"/api/v1/social/crises/{first['crisis_id']}/transitions"
    assert client.post(url, json={"status": "responding", "note": "声明已发布"}, headers=staff).status_code == 200
    closed = client.post(url, json={"status": "closed", "note": "已澄清"}, headers=staff)
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert client.post(url, json={"status": "responding"}, headers=staff).status_code == 422
    assert client.get("/api/v1/social/crises", params={"status": "closed"}, headers=staff).json()[0]["summary"] == "已澄清"


def test_a_later_signal_joins_the_open_crisis(runtime, social):
    _history(runtime)
    _spike(runtime)
    first = detect_for_hour(runtime.factory, runtime.settings, social, SPIKE, NOW)
    later = [MentionIn("douyin", f"later-{i}", "comment", f"假货！投诉！{i}", NOW + dt.timedelta(minutes=i),
                       author_ref=f"d{i}", author_followers=50_000) for i in range(5)]
    with transaction(runtime.factory) as s:
        ingest(s, runtime.cipher, later)
        run = crisis_store.run_hour(s, NOW, now=NOW + dt.timedelta(hours=1))
        assert run.crisis_id == first["crisis_id"] and not run.opened
        c = crisis_store.get(s, run.crisis_id)
        assert c.last_hour == NOW and c.keywords["假货"] >= 6


def test_the_detection_endpoint_needs_the_manage_permission(client, auth, social):
    body = {"hour": SPIKE.isoformat()}
    assert client.post("/api/v1/social/crises/detections", json=body, headers=auth("analyst")).status_code == 403
    got = client.post("/api/v1/social/crises/detections", json=body, headers=auth("operations"))
    assert got.status_code == 200 and got.json()["signal"] is False
