"""Service reports, quality checks on replies, follow-ups."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.db import transaction
from guanxi.errors import Invalid
from guanxi.service import escalation, quality, reports, tickets
from guanxi.service.reports import Answer
from guanxi.service.tickets import TicketIn

T0 = dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC)


def test_csat_by_agent_category_week():
    answers = [Answer("csat", 5, T0, "Ann", "logistics"), Answer("csat", 3, T0, "Ann", "product"),
               Answer("csat", 1, T0 + dt.timedelta(days=7), "Bo", "logistics"), Answer("nps", 10, T0, None, None)]
    c = reports.csat(answers)
    assert c["answers"] == 3 and c["average"] == 3.0 and c["satisfied_share"] == pytest.approx(0.333)
    assert {r["key"]: r["average"] for r in c["by_agent"]} == {"Ann": 4.0, "Bo": 1.0}
    assert {r["key"]: r["answers"] for r in c["by_category"]} == {"logistics": 2, "product": 1}
    assert [r["key"] for r in c["by_week"]] == ["2026-W45", "2026-W46"]


def test_nps_trend():
    scores = [10, 9, 8, 7, 6, 0]
    trend = reports.nps_trend([Answer("nps", s, T0, None, None) for s in scores])
    assert trend == [{"month": "2026-11", "nps": 0.0, "answers": 6, "promoters": 2, "detractors": 2}]


def test_pareto_and_durations():
    p = reports.pareto(["carrier"] * 6 + ["supplier"] * 3 + ["staff", None])
    assert [r["root_cause"] for r in p] == ["carrier", "supplier", "staff"]
    assert p[-1]["cumulative"] == 1.0 and p[0]["share"] == 0.6
    d = reports.durations([(T0, T0 + dt.timedelta(hours=2)), (T0, T0 + dt.timedelta(hours=4)), (T0, None)])
    assert d == {"count": 2, "median_hours": 3.0, "average_hours": 3.0}
    assert reports.rate(0, 0) is None


@pytest.mark.parametrize("text, bad", [
    ("您好，马上为您处理", []), ("爱买不买", ["爱买不买"]), ("Don't be stupid", ["stupid"]),
    ("a stupidity test", []), ("Shut up and wait", ["shut up"]),
])
def test_banned_words(text, bad):
    assert quality.banned_words(text) == bad


def test_rude_reply_is_not_sent(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y"), "api")
        with pytest.raises(Invalid, match="may not be sent"):
            tickets.add_message(s, cfg, t, "out", "Ann", "闭嘴，等着")
        tickets.add_message(s, cfg, t, "note", "Ann", "customer said 滚 to me")   # notes are not sent


def test_report_over_http(client, auth, customer, desk):
    cid, _, _ = customer()
    h = auth("service")
    tid = client.post("/api/v1/tickets", json={"subject": "x", "body": "质量不好", "customer_id": cid}, headers=h).json()["id"]
    client.post(f"/api/v1/tickets/{tid}/messages", json={"body": "好的"}, headers=h)
    link = client.post(f"/api/v1/tickets/{tid}/resolution", headers=h,
                       json={"root_cause": "supplier", "resolution_type": "replacement"}).json()["survey_link"]
    client.post(f"/api/v1/surveys/{link.rsplit('/', 1)[1]}/answers", json={"score": 4})
    r = client.get("/api/v1/service/reports", headers=h)
    assert r.status_code == 200
    data = r.json()
    assert data["tickets"] == 1 and data["resolved"] == 1 and data["sla_attainment"] == 1.0
    assert data["root_causes"][0]["root_cause"] == "supplier" and data["csat"]["average"] == 4.0
    assert data["first_response"]["count"] == 1 and data["reopen_rate"] == 0.0
    assert client.get("/api/v1/service/reports", params={"since": "2026-12-01", "until": "2026-11-01"},
                      headers=h).status_code == 422


def test_follow_up_once(runtime, cfg, desk):
    from guanxi.service import resolution
    from guanxi.staff.roles import SYSTEM

    now = dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC)
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y"), "api", now=now)
        resolution.resolve(s, cfg, t, resolution.ResolutionIn("carrier", "explanation", follow_up_days=3), SYSTEM, now=now)
        assert t.follow_up_on == dt.date(2026, 11, 26)
        assert escalation.follow_ups(s, cfg, dt.date(2026, 11, 25), now) == []
        assert escalation.follow_ups(s, cfg, dt.date(2026, 11, 26), now) == [t.id]
        assert escalation.follow_ups(s, cfg, dt.date(2026, 11, 27), now) == []
        assert "follow-up" in t.tags and tickets.messages(s, t.id)[-1].direction == "note"
