"""The scheduled NPS and the weekly feedback digest on SQLite and PostgreSQL: each sends once per
period, the NPS only to customers with orders and consent, the digest through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from guanxi.care.models import OutboxMessage
from guanxi.customers import consents
from guanxi.db import transaction
from guanxi.scheduler.registry import JOBS, load_job_modules
from guanxi.service import actions, surveys, teams, tickets
from guanxi.service.models import FeedbackDigest, Survey
from guanxi.service.tickets import TicketIn
from guanxi.worker import JobContext
from tests.web.mailbox import Mailbox


def _run(runtime, name: str, now: dt.datetime) -> dict:
    load_job_modules()
    return JOBS[name].func(JobContext(factory=runtime.factory, settings=runtime.settings, now=now, owner="t"))


def _nps(runtime) -> list[tuple[int, str | None]]:
    with runtime.factory() as s:
        return sorted(s.execute(select(Survey.customer_id, Survey.period_key).where(Survey.kind == "nps")).all())


def test_scheduled_nps_once_per_period_only_to_customers_with_orders(client, auth, customer, runtime):
    buyer, _, _ = customer()
    opted_out, _, _ = customer()
    r = client.post("/api/v1/customers", headers=auth("admin"), json={"email": f"n-{uuid.uuid4().hex[:6]}@example.com"})
    no_orders = r.json()["id"]
    with transaction(runtime.factory) as s:
        consents.set_consent(s, opted_out, "email", "service", False, source="test")
    now = dt.datetime.now(dt.UTC)
    assert _run(runtime, "service.scheduled_nps", now) == {"sent": 1}
    assert _run(runtime, "service.scheduled_nps", now + dt.timedelta(hours=5)) == {"sent": 0}   # same period
    sent = _nps(runtime)
    assert [cid for cid, _ in sent] == [buyer] and no_orders not in [c for c, _ in sent]
    with runtime.factory() as s:
        rows = s.execute(select(OutboxMessage.customer_id, OutboxMessage.purpose).where(
            OutboxMessage.idempotency_key.like("nps-survey:%"))).all()
    assert rows == [(buyer, "service")]
    # Within 90 days nothing more; after them the next period's survey goes out.
    assert _run(runtime, "service.scheduled_nps", now + dt.timedelta(days=60))["sent"] == 0
    assert _run(runtime, "service.scheduled_nps", now + dt.timedelta(days=91))["sent"] == 1
    assert len(_nps(runtime)) == 2


def test_a_survey_sent_by_hand_counts_towards_the_interval(client, auth, customer, runtime):
    buyer, _, _ = customer()
    assert client.post("/api/v1/surveys", json={"kind": "nps", "customer_id": buyer},
                       headers=auth("service")).status_code == 201
    assert _run(runtime, "service.scheduled_nps", dt.datetime.now(dt.UTC))["sent"] == 0


NOW = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)            # Wednesday of 2026-W48
LAST_WEEK = dt.datetime(2026, 11, 18, 4, tzinfo=dt.UTC)       # 2026-W47 in Asia/Shanghai
WEEK_BEFORE = dt.datetime(2026, 11, 11, 4, tzinfo=dt.UTC)     # 2026-W46


def _week_of_tickets(runtime, cfg, desk):
    from guanxi.staff import service as staff_service

    with transaction(runtime.factory) as s:
        user = staff_service.create_user(s, email="mei@shop.example", password="a-long-password-1", role="service")
        teams.add_agent(s, desk["general"], "Mei", staff_user_id=user.id)

        def ticket(at, sub, cause=None, sla="met"):
            t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y", category="logistics", subcategory=sub),
                                  "api", now=at)
            t.team_id = desk["general"]
            if cause:
                tickets.move(s, cfg, t, "resolved", "Ann", now=at + dt.timedelta(hours=2))
                t.root_cause, t.sla_state = cause, sla
            return t

        done = ticket(LAST_WEEK, "damaged", "carrier")
        ticket(LAST_WEEK, "damaged", "carrier", sla="missed")
        ticket(LAST_WEEK, "late")
        ticket(WEEK_BEFORE, "damaged", "warehouse")
        sent = surveys.send(s, cfg, "csat", customer_id=None, ticket_id=done.id, now=LAST_WEEK)
        surveys.answer(s, cfg, sent.token, 4, now=LAST_WEEK + dt.timedelta(hours=3))
        actions.create(s, title="Stronger boxes", root_cause="carrier", team_id=desk["general"],
                       due_on=dt.date(2026, 11, 20))
        actions.create(s, title="Done already", root_cause="carrier", team_id=desk["general"]).status = "done"


def test_weekly_digest_once_per_team_and_week_with_real_smtp(runtime, cfg, desk, monkeypatch):
    _week_of_tickets(runtime, cfg, desk)
    box = Mailbox().start()
    try:
        monkeypatch.setattr(runtime.settings, "smtp_host", "127.0.0.1")
        monkeypatch.setattr(runtime.settings, "smtp_port", box.port)
        assert _run(runtime, "service.weekly_digest", NOW) == {"teams": 1, "mails": 2}   # the VIP team has nobody
        assert _run(runtime, "service.weekly_digest", NOW + dt.timedelta(days=1)) == {"teams": 0, "mails": 0}
    finally:
        box.stop()
    assert sorted(m["To"] for m in box.messages) == ["lead@example.com", "mei@shop.example"]
    mail = box.to("lead@example.com")[0]
    assert mail["Subject"] == "Weekly feedback digest 2026-W47: General"
    body = mail.get_body(("plain",)).get_content()
    assert "logistics.damaged: 2 (previous week / 上周 1)" in body
    assert "logistics.late: 1 (previous week / 上周 0)" in body
    assert "carrier: 2 (previous week / 上周 0)" in body
    assert "SLA attainment / SLA 达成率: 50% (1 of 2 resolved)" in body
    assert "CSAT / 满意度: 4.00 of 5 (1 answers)" in body
    assert "Stronger boxes [open] due / 截止 2026-11-20 — OVERDUE" in body and "Done already" not in body
    with runtime.factory() as s:
        assert s.scalar(select(func.count()).select_from(FeedbackDigest)) == 1
