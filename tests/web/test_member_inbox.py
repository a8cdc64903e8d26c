"""The in-app inbox on the member page: a message sent on channel "inapp" is shown to that member only."""

from __future__ import annotations

import datetime as dt

from guanxi.care.delivery import run_drain
from guanxi.care.models import OutboxMessage
from guanxi.care.outbox import Draft, enqueue
from guanxi.care.settings import CareSettings
from guanxi.db import transaction

from .test_member import EMAIL, ask_code, enter_code


def test_the_member_page_shows_in_app_messages(client, mailbox, seed_customer, runtime):
    cid = seed_customer(email=EMAIL, name="王芳", locale="zh-CN")
    other = seed_customer(email="someone.else@example.com", phone="+8613900139000", name="李雷")
    assert other != cid
    with transaction(runtime.factory) as session:
        for who, key, subject in ((cid, "inapp:mine", "会员日专享"), (other, "inapp:theirs", "不是给您的")):
            enqueue(session, runtime.cipher, Draft(key=key, customer_id=who, channel="inapp", purpose="service",
                                                   locale="zh-CN", subject=subject, body="明天全场九折",
                                                   not_before=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    care = CareSettings(_env_file=None, quiet_hours="00:00-00:00", caps="")
    run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care, owner="t")
    ask_code(client)
    enter_code(client, mailbox.code_for(EMAIL))
    client.cookies.set("guanxi_locale", "zh-CN")
    page = client.get("/m/", headers={"Accept-Language": "zh-CN"}).text
    assert "站内消息" in page and "会员日专享" in page and "明天全场九折" in page
    assert "不是给您的" not in page
    with runtime.factory() as session:
        mine = session.query(OutboxMessage).filter_by(idempotency_key="inapp:mine").one()
        assert mine.status == "sent" and mine.opened_at is not None   # shown counts as opened
