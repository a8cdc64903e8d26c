"""App push through the shop's push gateway (a loopback HTTP server) and the in-app inbox, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from guanxi.care import member_inbox

from .test_outbox import drain, message, queue

LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def test_push_goes_to_the_gateway_with_the_customer_as_alias_and_is_retried_once(runtime, http_sink, care_settings,
                                                                                  person):
    care = care_settings.model_copy(update={"push_url": http_sink.url, "push_key": "push-key"})
    cid = person(consent=("push",))
    http_sink.replies = [(503, {})]
    mid = queue(runtime, cid, channel="push", subject="双11 开抢", body="您的优惠券已到账")
    assert drain(runtime, care)["sent"] == 0
    assert message(runtime, mid).status == "queued" and message(runtime, mid).attempts == 1
    assert drain(runtime, care, now=LATER)["sent"] == 1
    first, second = [r for r in http_sink.requests if r["path"] == "/push"]
    assert second["json"] == {"alias": str(cid), "title": "双11 开抢", "body": "您的优惠券已到账", "locale": "zh-CN",
                              "reference": first["json"]["reference"]}
    assert first["headers"]["idempotency-key"] == second["headers"]["idempotency-key"]   # a retry is the same push
    assert second["headers"]["authorization"] == "Bearer push-key"
    row = message(runtime, mid)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 2, "p-2")


def test_push_without_push_consent_is_suppressed(runtime, http_sink, care_settings, person):
    care = care_settings.model_copy(update={"push_url": http_sink.url})
    cid = person(consent=("email",))
    mid = queue(runtime, cid, channel="push")
    drain(runtime, care)
    assert message(runtime, mid).status == "suppressed" and not http_sink.requests


def test_in_app_messages_wait_in_the_member_inbox_newest_first_and_count_as_opened_when_shown(runtime, care_settings,
                                                                                               person):
    cid, other = person(), person()
    first = queue(runtime, cid, channel="inapp", subject="欢迎", body="欢迎加入会员")
    second = queue(runtime, cid, channel="inapp", subject="生日快乐", body="送您一张券", key="inapp:second")
    queue(runtime, other, channel="inapp", subject="别人的", body="不是您的")
    assert drain(runtime, care_settings)["sent"] == 3
    assert message(runtime, first).provider_id == f"inapp:{first}"
    with runtime.factory() as session:
        items = member_inbox.inbox(session, runtime.cipher, cid)
        session.commit()
    assert {i.subject for i in items} == {"欢迎", "生日快乐"} and all(i.new for i in items)
    assert {i.id for i in items} == {first, second}
    assert message(runtime, first).opened_at is not None
    with runtime.factory() as session:
        again = member_inbox.inbox(session, runtime.cipher, cid)
    assert not any(i.new for i in again)
