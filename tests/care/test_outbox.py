"""The outbox against real loopback servers: SMTP, SMS, WeChat and webhook over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from guanxi.care import outbox, unsubscribe
from guanxi.care.channels.http import signature_ok
from guanxi.care.delivery import build_channels, run_drain
from guanxi.care.models import Campaign, OutboxMessage
from guanxi.care.outbox import Draft, enqueue, retry_delay
from guanxi.customers import consents
from guanxi.db import transaction

UTC = dt.UTC
EARLY = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # queued before every moment these tests drain at


def queue(runtime, cid, *, key=None, channel="email", purpose="marketing", subject="生日快乐", body="亲爱的会员",
          campaign_id=None, priority=0, expires_at=None, not_before=None) -> int | None:
    with transaction(runtime.factory) as session:
        return enqueue(session, runtime.cipher, Draft(
            key=key or f"test:{cid}:{channel}:{subject}", customer_id=cid, channel=channel, purpose=purpose,
            locale="zh-CN", subject=subject, body=body, campaign_id=campaign_id, priority=priority,
            expires_at=expires_at, not_before=not_before or EARLY))


def drain(runtime, care, now=None, owner="w1"):
    return run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care,
                     owner=owner, now=now)


def message(runtime, mid) -> OutboxMessage:
    with runtime.factory() as session:
        return session.get(OutboxMessage, mid)


@pytest.mark.parametrize("attempts, delay", [(1, 60), (2, 120), (3, 240), (10, 3600), (30, 3600)])
def test_retry_delay_doubles_up_to_a_cap(attempts, delay):
    assert retry_delay(attempts, 60, 3600) == dt.timedelta(seconds=delay)


def test_email_over_smtp_with_one_click_unsubscribe(runtime, smtp, care_settings, person):
    cid = person(email="ming@care.example")
    mid = queue(runtime, cid, subject="小明，生日快乐", body="送您一张生日券")
    report = drain(runtime, care_settings)
    assert report["sent"] == 1
    [mail] = smtp.messages
    assert mail["To"] == "ming@care.example" and mail["Subject"] == "小明，生日快乐"
    assert "送您一张生日券" in mail.get_body(("plain",)).get_content()
    assert mail["List-Unsubscribe"].startswith("<https://shop.example/api/v1/care/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    row = message(runtime, mid)
    assert row.status == "sent" and row.attempts == 1 and row.provider_id == mail["Message-ID"]
    assert row.sent_at is not None and row.locked_by is None


def test_service_message_has_no_unsubscribe_link_and_needs_no_opt_in(runtime, smtp, care_settings, person):
    cid = person(consent=())
    queue(runtime, cid, purpose="service", subject="您的包裹延误了", body="抱歉")
    queue(runtime, cid, purpose="marketing", subject="双11", body="优惠")
    report = drain(runtime, care_settings)
    assert report["sent"] == 1 and report["reasons"] == {"no_consent": 1}
    [mail] = smtp.messages
    assert mail["Subject"] == "您的包裹延误了" and mail["List-Unsubscribe"] is None


def test_explicit_service_opt_out_stops_service_messages(runtime, smtp, care_settings, person):
    cid = person()
    with transaction(runtime.factory) as session:
        consents.set_consent(session, cid, "email", "service", False)
    mid = queue(runtime, cid, purpose="service")
    drain(runtime, care_settings)
    assert message(runtime, mid).status == "suppressed" and not smtp.messages


def test_same_idempotency_key_queues_once(runtime, person):
    cid = person()
    assert queue(runtime, cid, key="c1:%d:2026" % cid) is not None
    assert queue(runtime, cid, key="c1:%d:2026" % cid) is None


def test_consent_withdrawn_between_queueing_and_sending(runtime, smtp, care_settings, person):
    cid = person()
    mid = queue(runtime, cid)
    with transaction(runtime.factory) as session:
        consents.set_consent(session, cid, "email", "marketing", False, source="member page")
    drain(runtime, care_settings)
    row = message(runtime, mid)
    assert (row.status, row.reason) == ("suppressed", "no_consent") and not smtp.messages


def test_quiet_hours_hold_the_message_until_morning_in_the_customers_zone(runtime, smtp, care_settings, person):
    care = care_settings.model_copy(update={"quiet_hours": "21:00-09:00"})
    cid = person(timezone="Asia/Shanghai")
    mid = queue(runtime, cid)
    late = dt.datetime(2026, 5, 1, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    report = drain(runtime, care, now=late)
    assert report["deferred"] == 1 and not smtp.messages
    row = message(runtime, mid)
    assert row.status == "queued" and row.reason == "quiet_hours" and row.attempts == 0
    assert row.next_attempt_at == dt.datetime(2026, 5, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert drain(runtime, care, now=dt.datetime(2026, 5, 2, 0, 59, tzinfo=UTC))["claimed"] == 0
    assert drain(runtime, care, now=dt.datetime(2026, 5, 2, 1, 0, tzinfo=UTC))["sent"] == 1
    assert len(smtp.messages) == 1


def test_frequency_cap_across_two_campaigns_higher_priority_wins(runtime, smtp, care_settings, person):
    care = care_settings.model_copy(update={"caps": "1/day"})
    cid = person()
    with transaction(runtime.factory) as session:
        a = Campaign(name="birthday", created_by="t", channels=["email"])
        b = Campaign(name="double 11", created_by="t", channels=["email"])
        session.add_all([a, b])
        session.flush()
        ids = a.id, b.id
    low = queue(runtime, cid, key="low", campaign_id=ids[1], priority=0, subject="双11")
    high = queue(runtime, cid, key="high", campaign_id=ids[0], priority=10, subject="生日")
    now = dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai
    report = drain(runtime, care, now=now)
    assert report["sent"] == 1 and report["reasons"] == {"frequency_cap": 1}
    assert [m["Subject"] for m in smtp.messages] == ["生日"]
    held = message(runtime, low)
    assert held.status == "queued" and held.next_attempt_at == dt.datetime(2026, 5, 1, 16, 0, tzinfo=UTC)
    assert message(runtime, high).status == "sent"


def test_capped_past_its_expiry_is_suppressed(runtime, smtp, care_settings, person):
    care = care_settings.model_copy(update={"caps": "1/week"})
    cid = person()
    now = dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
    queue(runtime, cid, key="first")
    drain(runtime, care, now=now)
    mid = queue(runtime, cid, key="second", expires_at=now + dt.timedelta(days=1))
    drain(runtime, care, now=now + dt.timedelta(hours=1))
    assert (message(runtime, mid).status, message(runtime, mid).reason) == ("suppressed", "frequency_cap")


def test_smtp_down_then_retries_then_delivered_once(runtime, smtp, care_settings, person):
    cid = person()
    mid = queue(runtime, cid)
    smtp.fail_next = 2
    t0 = dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
    assert drain(runtime, care_settings, now=t0)["retried"] == 1
    row = message(runtime, mid)
    assert row.status == "queued" and row.attempts == 1 and "451" in row.last_error
    assert drain(runtime, care_settings, now=t0)["claimed"] == 0  # not before its back-off
    assert drain(runtime, care_settings, now=t0 + dt.timedelta(minutes=5))["retried"] == 1
    assert drain(runtime, care_settings, now=t0 + dt.timedelta(minutes=10))["sent"] == 1
    assert len(smtp.messages) == 1 and message(runtime, mid).attempts == 3


def test_smtp_unreachable_retries_then_fails_after_max_attempts(runtime, care_settings, person, monkeypatch):
    from .servers import free_port

    monkeypatch.setattr(runtime.settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(runtime.settings, "smtp_port", free_port())  # nothing listens there
    care = care_settings.model_copy(update={"max_attempts": 2})
    cid = person()
    mid = queue(runtime, cid)
    t0 = dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
    assert drain(runtime, care, now=t0)["retried"] == 1
    assert drain(runtime, care, now=t0 + dt.timedelta(hours=1))["failed"] == 1
    assert message(runtime, mid).status == "failed"


def test_rejected_recipient_bounces(runtime, smtp, care_settings, person):
    cid = person(email="gone@care.example")
    smtp.reject_rcpt.add("gone@care.example")
    mid = queue(runtime, cid)
    assert drain(runtime, care_settings)["bounced"] == 1
    assert message(runtime, mid).status == "bounced"


def test_sms_over_http_with_idempotency_key_and_delivery_receipt(runtime, http_sink, care_settings, person):
    cid = person(phone="13800138000")
    mid = queue(runtime, cid, channel="sms", subject=None, body="【茶铺】生日快乐")
    assert drain(runtime, care_settings)["sent"] == 1
    [req] = http_sink.requests
    assert req["path"] == "/messages" and req["json"]["to"] == "+8613800138000"
    assert req["json"]["text"] == "【茶铺】生日快乐 回TD退订"
    assert req["headers"]["idempotency-key"] == message(runtime, mid).idempotency_key
    assert req["headers"]["authorization"] == "Bearer k"
    with transaction(runtime.factory) as session:
        outbox.record_receipt(session, "sms", "p-1", "delivered")
    with transaction(runtime.factory) as session:  # a repeated receipt changes nothing
        outbox.record_receipt(session, "sms", "p-1", "delivered")
    row = message(runtime, mid)
    assert row.status == "delivered" and row.delivered_at is not None


def test_sms_provider_errors(runtime, http_sink, care_settings, person):
    cid = person(phone="13800138001")
    retry = queue(runtime, cid, key="a", channel="sms", body="x")
    http_sink.replies = [(503, {}), (400, {"error": "bad number"})]
    final = queue(runtime, cid, key="b", channel="sms", body="y")
    report = drain(runtime, care_settings)
    assert report["retried"] == 1 and report["failed"] == 1
    assert {message(runtime, retry).status, message(runtime, final).status} == {"queued", "failed"}


def test_no_address_is_suppressed(runtime, care_settings, person):
    cid = person()  # no phone
    mid = queue(runtime, cid, channel="sms", body="x")
    drain(runtime, care_settings)
    assert (message(runtime, mid).status, message(runtime, mid).reason) == ("suppressed", "no_address")


def test_wechat_template_message(runtime, http_sink, care_settings, person):
    cid = person(openid="oXyz123")
    mid = queue(runtime, cid, channel="wechat", subject="TM0001",
                body='{"first": {"value": "生日快乐"}, "remark": {"value": "礼券已到账"}}')
    assert drain(runtime, care_settings)["sent"] == 1
    [req] = http_sink.requests
    assert req["path"] == "/cgi-bin/message/template/send?access_token=tok"
    assert req["json"] == {"touser": "oXyz123", "template_id": "TM0001",
                           "data": {"first": {"value": "生日快乐"}, "remark": {"value": "礼券已到账"}}}
    assert message(runtime, mid).provider_id == "1001"


def test_wechat_unfollowed_user_bounces(runtime, http_sink, care_settings, person):
    cid = person(openid="oGone")
    http_sink.replies = [(200, {"errcode": 43004, "errmsg": "require subscribe"})]
    mid = queue(runtime, cid, channel="wechat", subject="TM0001", body="hi")
    assert drain(runtime, care_settings)["bounced"] == 1
    assert message(runtime, mid).status == "bounced"


def test_signed_webhook(runtime, http_sink, care_settings, person):
    cid = person()
    queue(runtime, cid, channel="webhook", subject="s", body="b", purpose="service")
    assert drain(runtime, care_settings)["sent"] == 1
    [req] = http_sink.requests
    assert req["path"] == "/hook" and req["json"]["customer_id"] == cid and req["json"]["body"] == "b"
    assert signature_ok("hook-secret", req["raw"], req["headers"]["x-guanxi-signature"])
    assert not signature_ok("other", req["raw"], req["headers"]["x-guanxi-signature"])


def test_a_dead_workers_lease_is_taken_over(runtime, smtp, care_settings, person):
    cid = person()
    mid = queue(runtime, cid)
    t0 = dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
    assert outbox.claim(runtime.factory, t0, "dead", 10, 120) == [mid]  # claimed, then the worker dies
    assert drain(runtime, care_settings, now=t0 + dt.timedelta(seconds=60))["claimed"] == 0
    assert drain(runtime, care_settings, now=t0 + dt.timedelta(seconds=121))["sent"] == 1
    assert len(smtp.messages) == 1


def test_two_workers_send_each_message_exactly_once(runtime, smtp, care_settings, person):
    ids = [person() for _ in range(6)]
    for cid in ids:
        for n in range(3):
            queue(runtime, cid, key=f"m{cid}-{n}", purpose="service", subject=f"s{n}")
    care = care_settings.model_copy(update={"batch_size": 2})
    reports = []

    def work(owner):
        reports.append(drain(runtime, care, owner=owner))

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in reports) == 18
    assert len(smtp.messages) == 18
    assert len({m["Message-ID"] for m in smtp.messages}) == 18


def test_erased_customer_is_not_sent(runtime, smtp, care_settings, person):
    from guanxi.customers.models import Customer

    cid = person()
    mid = queue(runtime, cid)
    with transaction(runtime.factory) as session:
        session.get(Customer, cid).status = "erased"
    drain(runtime, care_settings)
    assert (message(runtime, mid).status, message(runtime, mid).reason) == ("suppressed", "erased")


def test_unsubscribe_link_and_sms_stop_word(runtime, person):
    secret = runtime.secrets.session_secret
    cid = person(phone="13900139000")
    token = unsubscribe.make_token(secret, cid, "email")
    with transaction(runtime.factory) as session:
        assert unsubscribe.unsubscribe(session, secret, token) == (cid, "email")
        assert not consents.allows(session, cid, "email", "marketing")
        assert consents.allows(session, cid, "sms", "marketing")
        assert unsubscribe.inbound_sms(session, runtime.cipher, "139 0013 9000", "退订") == cid
        assert not consents.allows(session, cid, "sms", "marketing")
        assert unsubscribe.inbound_sms(session, runtime.cipher, "139 0013 9000", "hello") is None


@pytest.mark.parametrize("token", ["", "abc", "MS5lbWFpbC5mYWtl"])
def test_forged_unsubscribe_token_is_refused(token):
    from guanxi.errors import Invalid

    with pytest.raises(Invalid):
        unsubscribe.read_token("secret", token)


def test_bodies_are_encrypted_at_rest(runtime, person):
    cid = person()
    mid = queue(runtime, cid, subject="Quabblestone greeting", body="Dear Quabblestone")
    with runtime.factory() as session:
        raw = session.execute(select(OutboxMessage.subject_enc, OutboxMessage.body_enc)
                              .where(OutboxMessage.id == mid)).one()
    assert all("Quabblestone" not in v for v in raw)
    assert outbox.message_text(runtime.cipher, message(runtime, mid)) == ("Quabblestone greeting", "Dear Quabblestone")


def test_build_channels_names_every_channel(runtime, care_settings):
    channels = build_channels(runtime.settings, care_settings)
    assert set(channels) == {"email", "sms", "wechat", "webhook", "push", "inapp"}
    from guanxi.care.templates import CHANNELS
    assert set(CHANNELS) == set(channels)   # every channel a template may be written for can be sent
    for channel in channels.values():
        channel.close()


def test_a_bounced_address_is_on_the_suppression_list(runtime, smtp, care_settings, person):
    cid = person(email="gone2@care.example")
    smtp.reject_rcpt.add("gone2@care.example")
    queue(runtime, cid, key="b1", purpose="service")
    drain(runtime, care_settings)
    later = queue(runtime, cid, key="b2", purpose="service")
    sms = queue(runtime, cid, key="b3", channel="webhook", purpose="service")
    report = drain(runtime, care_settings)
    assert report["reasons"] == {"bounced_before": 1} and report["sent"] == 1
    assert (message(runtime, later).status, message(runtime, later).reason) == ("suppressed", "bounced_before")
    assert message(runtime, sms).status == "sent"
