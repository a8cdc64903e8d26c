"""The batched paths behave as one message at a time did: chunked queueing, batched claims and checks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from guanxi.care import campaigns, outbox, template_store, triggers
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.delivery import run_drain
from guanxi.care.models import OutboxMessage, Recipient
from guanxi.care.outbox import Draft, enqueue, message_text
from guanxi.customers import consents
from guanxi.customers.models import Customer
from guanxi.db import transaction
from guanxi.staff.roles import SYSTEM

UTC = dt.UTC
NOON = dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai


def _campaign(runtime, ids, **extra) -> int:
    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="hi", channel="email", locale="zh-CN",
                                     subject="{{ customer.first_name }}好", body="亲爱的{{ customer.name }}")
        c = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name="batch", channels=["email"], variants=[{"name": "A", "template": "hi", "weight": 1}],
            audience={"customer_ids": ids}, **extra))
        campaigns.set_status(session, SYSTEM, c.id, "active")
        return c.id


def _run(runtime, care, cid) -> dict:
    return triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care,
                                 now=NOON, campaign_id=cid)[cid]


def test_queueing_in_small_chunks_counts_and_renders_each_customer(runtime, care_settings, person, monkeypatch):
    monkeypatch.setattr(triggers, "CHUNK", 3)  # seven customers: three chunks
    names = ["王小明", "李雷", "韩梅梅", "张三", "李四", "王五", "赵六"]
    ids = [person(n) for n in names]
    with transaction(runtime.factory) as session:
        consents.set_consent(session, ids[1], "email", "marketing", False, source="test")
        consents.set_consent(session, ids[2], "any", "personalisation", False, source="test")
        session.get(Customer, ids[3]).status = "erased"
    campaign = _campaign(runtime, ids)
    first = _run(runtime, care_settings, campaign)
    # the erased customer is no longer in the audience; the one without consent is queued (and suppressed later)
    assert (first["chosen"], first["queued"], first["repeated"]) == (6, 6, 0)
    again = _run(runtime, care_settings, campaign)
    assert (again["chosen"], again["queued"], again["repeated"]) == (0, 0, 6)
    with runtime.factory() as session:
        rows = {m.customer_id: m for m in session.scalars(select(OutboxMessage).where(
            OutboxMessage.campaign_id == campaign))}
        assert session.scalar(select(func.count()).select_from(Recipient)
                              .where(Recipient.campaign_id == campaign)) == 6
    assert message_text(runtime.cipher, rows[ids[0]]) == ("小明好", "亲爱的王小明")
    assert message_text(runtime.cipher, rows[ids[6]]) == ("六好", "亲爱的赵六")
    assert message_text(runtime.cipher, rows[ids[2]]) == ("会员好", "亲爱的会员")  # personalisation withdrawn


def test_a_customers_messages_in_one_batch_respect_the_cap(runtime, smtp, care_settings, person):
    care = care_settings.model_copy(update={"caps": "2/day", "batch_size": 50})
    a, b = person(), person()
    for cid in (a, b):
        for n in range(3):
            with transaction(runtime.factory) as session:
                enqueue(session, runtime.cipher, Draft(key=f"m{cid}-{n}", customer_id=cid, channel="email",
                                                       purpose="marketing", locale="zh-CN", subject=f"s{n}",
                                                       body="b", not_before=NOON - dt.timedelta(hours=1)))
    report = run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care,
                       owner="w", now=NOON)
    assert report["claimed"] == 6 and report["sent"] == 4 and report["reasons"] == {"frequency_cap": 2}
    assert sorted(m["Subject"] for m in smtp.messages) == ["s0", "s0", "s1", "s1"]


def test_a_bounce_in_a_batch_suppresses_the_customers_next_message(runtime, smtp, care_settings, person):
    cid = person(email="gone@care.example")
    smtp.reject_rcpt.add("gone@care.example")
    for n in range(2):
        with transaction(runtime.factory) as session:
            enqueue(session, runtime.cipher, Draft(key=f"b{n}", customer_id=cid, channel="email", purpose="service",
                                                   locale="zh-CN", subject="x", body="y",
                                                   not_before=NOON - dt.timedelta(hours=1)))
    report = run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret,
                       care_settings, owner="w", now=NOON)
    # one at a time, the second would be tried (and bounce) too; batched, it must still see the first bounce
    assert (report["bounced"], report["suppressed"], report["reasons"]) == (1, 1, {"bounced_before": 1})
    assert smtp.messages == []


def test_claim_takes_only_due_messages_in_priority_order(runtime, person):
    cid = person()
    made = []
    for key, priority, at in [("late", 9, NOON + dt.timedelta(hours=1)), ("low", 0, NOON), ("high", 5, NOON)]:
        with transaction(runtime.factory) as session:
            made.append(enqueue(session, runtime.cipher, Draft(key=key, customer_id=cid, channel="email",
                                                               purpose="service", locale="zh-CN", subject="s",
                                                               body="b", priority=priority, not_before=at)))
    late, low, high = made
    assert outbox.claim(runtime.factory, NOON, "w1", 10, 60) == [high, low]
    assert outbox.claim(runtime.factory, NOON, "w2", 10, 60) == []


def test_a_long_line_arrives_intact(runtime, smtp, care_settings, person):
    cid = person()
    body = "长" * 400 + " end"  # 1,200 bytes on one line: too long for 8bit SMTP, sent quoted-printable
    with transaction(runtime.factory) as session:
        enqueue(session, runtime.cipher, Draft(key="long", customer_id=cid, channel="email", purpose="service",
                                               locale="zh-CN", subject="很长的一封信" * 8, body=body,
                                               not_before=NOON - dt.timedelta(hours=1)))
    assert run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret,
                     care_settings, owner="w", now=NOON)["sent"] == 1
    [got] = smtp.messages
    assert got["Subject"] == "很长的一封信" * 8 and got.get_content().strip() == body
    assert got["Content-Transfer-Encoding"] == "quoted-printable"


def test_a_line_break_in_the_subject_cannot_add_a_header(runtime, smtp, care_settings, person):
    cid = person()
    with transaction(runtime.factory) as session:
        enqueue(session, runtime.cipher, Draft(key="inject", customer_id=cid, channel="email", purpose="service",
                                               locale="zh-CN", subject="Hello\r\nBcc: someone@evil.example",
                                               body="b", not_before=NOON - dt.timedelta(hours=1)))
    run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care_settings,
              owner="w", now=NOON)
    [got] = smtp.messages
    assert got["Bcc"] is None and got["Subject"] == "Hello Bcc: someone@evil.example"


def test_a_message_to_a_merged_customer_goes_to_the_survivor(runtime, smtp, care_settings, person):
    gone, survivor = person(email="old@care.example"), person(email="new@care.example")
    with transaction(runtime.factory) as session:
        row = session.get(Customer, gone)
        row.status, row.merged_into_id = "merged", survivor
        for key, cid in (("to-merged", gone), ("to-survivor", survivor)):
            enqueue(session, runtime.cipher, Draft(key=key, customer_id=cid, channel="email", purpose="marketing",
                                                   locale="zh-CN", subject=key, body="b",
                                                   not_before=NOON - dt.timedelta(hours=1)))
    report = run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret,
                       care_settings, owner="w", now=NOON)
    # Both are the survivor's now (sent in two rounds of one batch), to the survivor's address. Caps count
    # messages by the id they were queued under, as they did one at a time: a merge does not carry them over.
    assert report["sent"] == 2
    assert sorted((m["Subject"], m["To"]) for m in smtp.messages) == [("to-merged", "new@care.example"),
                                                                      ("to-survivor", "new@care.example")]
