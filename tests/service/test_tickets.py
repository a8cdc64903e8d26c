"""Tickets in storage (SQLite and PostgreSQL): creation, routing, conversation, status, SLA, escalation."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from guanxi.db import transaction
from guanxi.errors import Conflict, Invalid
from guanxi.scheduler.registry import JOBS, load_job_modules
from guanxi.service import categories, escalation, returns, tickets
from guanxi.service.models import Ticket, TicketEscalation
from guanxi.service.tickets import AttachmentIn, TicketIn

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH).astimezone(dt.UTC)


def test_created_ticket_is_classified_prioritised_and_assigned(runtime, cfg, desk, customer):
    cid, order_id, _ = customer()
    with transaction(runtime.factory) as s:
        t, created = tickets.create(s, cfg, TicketIn(subject="杯子碎了", body="快递外箱破损，杯子碎了", customer_id=cid,
                                                     order_id=order_id, importance="high", urgency="high"), "api")
        assert created
        assert (t.category, t.subcategory) == ("logistics", "damaged")
        assert 0 < t.suggestion_confidence <= 1 and not t.category_confirmed
        assert t.priority == "P1" and t.status == "new"
        assert t.team_id == desk["general"] and t.assignee_id == desk["agents"][0]
        assert t.first_response_due is not None and t.sla_state in ("running", "warning", "breached")


def test_vip_goes_to_the_vip_queue_one_priority_up(runtime, cfg, desk, customer):
    cid, _, _ = customer(tags=["vip"])
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="Question", body="hello", customer_id=cid), "api")
        assert t.vip and t.priority == "P2"           # medium × medium = P3, bumped
        assert t.team_id == desk["vip"] and t.assignee_id == desk["vip_agent"]


def test_same_external_id_is_one_ticket(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        a, c1 = tickets.create(s, cfg, TicketIn(subject="x", body="login fails", source="shop", external_id="42"), "api")
        b, c2 = tickets.create(s, cfg, TicketIn(subject="x", body="login fails", source="shop", external_id="42"), "api")
        assert (c1, c2) == (True, False) and a.id == b.id


def test_round_robin_within_the_team_by_skill(runtime, cfg, desk):
    ann, bo, cai = desk["agents"]
    got = []
    with transaction(runtime.factory) as s:
        for i in range(6):
            t, _ = tickets.create(s, cfg, TicketIn(subject=f"q{i}", body="质量太差了"), "api")   # product: not Cai's skill
            got.append(t.assignee_id)
        late, _ = tickets.create(s, cfg, TicketIn(subject="late", body="还没到，物流太慢"), "api")
    assert got == [ann, bo, ann, bo, ann, bo]
    assert late.assignee_id == cai   # least loaded agent with the skill


def test_conversation_first_response_pause_and_reopen(runtime, cfg, desk):
    t0 = at(2026, 11, 27, 17)   # Friday 17:00
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="charged twice", body="I was charged twice"), "api", now=t0)
        assert t.priority == "P3" and t.first_response_due == at(2026, 11, 30, 12)   # 1 h Friday + 3 h Monday
        tickets.add_message(s, cfg, t, "note", "Ann", "checking with payments", now=t0 + dt.timedelta(minutes=5))
        assert t.first_response_at is None                       # a note is not an answer
        tickets.add_message(s, cfg, t, "out", "Ann", "We are checking", now=t0 + dt.timedelta(minutes=10))
        assert t.first_response_at == t0 + dt.timedelta(minutes=10) and t.status == "open"
        tickets.move(s, cfg, t, "waiting", "Ann", now=at(2026, 11, 27, 17, 30))
        assert t.sla_state == "paused" and t.resolution_due is None
        tickets.add_message(s, cfg, t, "in", "customer", "here is the receipt", now=at(2026, 11, 30, 10))
        assert t.status == "open"
        # P3: 27 h of resolution; 0.5 h on Friday, then 8 + 9 + 9 h from Monday 10:00, 0.5 h on Thursday
        assert t.resolution_due == at(2026, 12, 3, 9, 30)
        tickets.move(s, cfg, t, "resolved", "Ann", now=at(2026, 12, 1, 10))
        tickets.move(s, cfg, t, "closed", "system", now=at(2026, 12, 4, 10))
        tickets.add_message(s, cfg, t, "in", "customer", "it happened again", now=at(2026, 12, 8, 10))
        assert t.status == "open" and t.reopened == 1 and t.closed_at is None
        tickets.move(s, cfg, t, "resolved", "Ann", now=at(2026, 12, 8, 11))
        tickets.move(s, cfg, t, "closed", "Ann", now=at(2026, 12, 8, 12))
        tickets.add_message(s, cfg, t, "in", "customer", "much later", now=at(2026, 12, 30, 10))
        assert t.status == "closed"                              # outside the reopen window


def test_refused_status_move(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y"), "api")
        with pytest.raises(Conflict):
            tickets.move(s, cfg, t, "closed", "Ann")


def test_attachment_limits(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="photo", body="see photo",
                                               attachments=[AttachmentIn("a.png", "image/png", b"\x89PNG" + b"0" * 10)]), "api")
        msg = tickets.messages(s, t.id)[0]
        assert [a.filename for a in tickets.attachments_of(s, [msg.id])[msg.id]] == ["a.png"]
        with pytest.raises(Invalid, match="type"):
            tickets.add_message(s, cfg, t, "in", "c", "x", attachments=[AttachmentIn("a.exe", "application/x-msdownload", b"MZ")])
        with pytest.raises(Invalid, match="larger"):
            tickets.add_message(s, cfg, t, "in", "c", "x",
                                attachments=[AttachmentIn("big.png", "image/png", b"0" * (cfg.attachment_max_bytes + 1))])


def test_staff_correction_and_accuracy(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        a, _ = tickets.create(s, cfg, TicketIn(subject="fake", body="this is a fake, not genuine"), "api")
        b, _ = tickets.create(s, cfg, TicketIn(subject="late", body="parcel delayed"), "api")
        tickets.update(s, cfg, a, {"category": "product", "subcategory": "counterfeit"}, "Ann")
        tickets.update(s, cfg, b, {"category": "logistics", "subcategory": "lost"}, "Ann")
        with pytest.raises(Invalid):
            tickets.update(s, cfg, b, {"category": "logistics", "subcategory": "teleported"}, "Ann")
        acc = categories.accuracy(s)
        assert (acc.suggested, acc.correct) == (2, 1)


def test_edited_category_is_suggested(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        categories.save(s, "product", "allergy", name_en="Allergy", name_zh="过敏", keywords=["过敏", "allergic"])
        t, _ = tickets.create(s, cfg, TicketIn(subject="皮肤过敏", body="用了以后皮肤过敏"), "api")
        assert (t.category, t.subcategory) == ("product", "allergy")


def test_importance_change_reprioritises(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y", importance="low", urgency="low"), "api")
        assert t.priority == "P4"
        tickets.update(s, cfg, t, {"importance": "high", "urgency": "high"}, "Ann")
        assert t.priority == "P1"


def test_breach_escalates_once_per_due_time(runtime, cfg, desk):
    created = at(2026, 11, 23, 9)                   # Monday, P3: first response due 13:00
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y"), "api", now=created)
        tid = t.id
        out = escalation.run(s, cfg, at(2026, 11, 23, 12, 30))
        assert out.warned == [tid] and out.escalated == []
        out = escalation.run(s, cfg, at(2026, 11, 23, 13))           # due exactly now: not yet breached
        assert out.escalated == []
        out = escalation.run(s, cfg, at(2026, 11, 23, 13, 0, 1))
        assert out.escalated == [tid] and out.leads == [("lead@example.com", tid)]
        assert t.priority == "P2"
    with transaction(runtime.factory) as s:
        again = escalation.run(s, cfg, at(2026, 11, 23, 13, 5))
        assert tid not in again.escalated
        assert s.scalar(select(func.count()).select_from(TicketEscalation).where(
            TicketEscalation.ticket_id == tid, TicketEscalation.target == "first_response")) == 1


def test_escalation_job_is_registered_and_runs(runtime):
    from guanxi.worker import JobContext

    load_job_modules()
    spec = JOBS["service.escalate_breached_tickets"]
    ctx = JobContext(factory=runtime.factory, settings=runtime.settings, now=dt.datetime.now(dt.UTC), owner="t")
    assert spec.func(ctx)["escalated"] == 0


def test_resolved_tickets_close_after_quiet_days(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="x", body="y"), "api", now=at(2026, 11, 23, 9))
        tickets.move(s, cfg, t, "resolved", "Ann", now=at(2026, 11, 23, 10))
        assert escalation.close_quiet(s, cfg, at(2026, 11, 25, 10)) == []
        assert escalation.close_quiet(s, cfg, at(2026, 11, 26, 11)) == [t.id]
        assert t.status == "closed"


def test_return_eligibility_and_states(runtime, cfg, desk, customer):
    cid, order_id, lines = customer(delivered_days_ago=2)
    with transaction(runtime.factory) as s:
        t, _ = tickets.create(s, cfg, TicketIn(subject="退货", body="我要退货", customer_id=cid, order_id=order_id), "api")
        elig = returns.eligibility(s, order_id)
        assert [e.returnable for e in elig] == [True, True]
        r = returns.request(s, t, "return", lines[0], 1, "Ann")
        assert r.state == "requested" and r.returnable
        for state in ("approved", "received", "refunded"):
            returns.move(s, r.id, t.id, state, "Ann")
        with pytest.raises(Conflict):
            returns.move(s, r.id, t.id, "approved", "Ann")
        x = returns.request(s, t, "exchange", lines[1], 1, "Ann")
        returns.move(s, x.id, t.id, "approved", "Ann")
        returns.move(s, x.id, t.id, "received", "Ann")
        with pytest.raises(Conflict):
            returns.move(s, x.id, t.id, "refunded", "Ann")
        with pytest.raises(Invalid):
            returns.request(s, t, "return", lines[0], 5, "Ann")


def test_return_window_closed_after_seven_days(runtime, cfg, desk, customer):
    cid, order_id, lines = customer(delivered_days_ago=9)
    with transaction(runtime.factory) as s:
        assert not any(e.returnable for e in returns.eligibility(s, order_id))


def test_inbox_sorts_by_sla_due(runtime, cfg, desk):
    with transaction(runtime.factory) as s:
        low, _ = tickets.create(s, cfg, TicketIn(subject="low", body="y", importance="low", urgency="low"), "api")
        high, _ = tickets.create(s, cfg, TicketIn(subject="high", body="y", importance="high", urgency="high"), "api")
        done, _ = tickets.create(s, cfg, TicketIn(subject="done", body="y"), "api")
        tickets.move(s, cfg, done, "resolved", "Ann")
        ids = [t.id for t in tickets.inbox(s, status=["new", "open"])]
        assert ids == [high.id, low.id]
        assert [t.id for t in tickets.inbox(s, priority="P4")] == [low.id]
