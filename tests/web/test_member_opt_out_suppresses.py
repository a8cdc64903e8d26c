"""The preference centre on the member page: an opt-out takes effect at once, also for messages already queued."""

from __future__ import annotations

import datetime as dt

from guanxi.care.delivery import run_drain
from guanxi.care.models import OutboxMessage
from guanxi.care.outbox import Draft, enqueue
from guanxi.care.settings import CareSettings
from guanxi.customers import consents
from guanxi.db import transaction

from .forms import csrf_of
from .test_member import EMAIL, ask_code, enter_code


def _queue(runtime, cid, key, purpose):
    with transaction(runtime.factory) as session:
        return enqueue(session, runtime.cipher, Draft(
            key=key, customer_id=cid, channel="email", purpose=purpose, locale="zh-CN", subject="双11",
            body="优惠", not_before=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))


def test_opting_out_on_the_member_page_suppresses_a_queued_marketing_message(client, mailbox, seed_customer, runtime):
    cid = seed_customer(email=EMAIL, name="王芳", locale="zh-CN")
    with transaction(runtime.factory) as session:
        consents.set_consent(session, cid, "email", "marketing", True, source="checkout")
    ask_code(client)
    enter_code(client, mailbox.code_for(EMAIL))
    client.cookies.set("guanxi_locale", "zh-CN")
    home = client.get("/m/", headers={"Accept-Language": "zh-CN"}).text
    assert "消息偏好" in home and 'id="c-email-marketing" name="consent" value="email:marketing" checked' in home
    marketing = _queue(runtime, cid, "pref:marketing", "marketing")
    service = _queue(runtime, cid, "pref:service", "service")

    # Untick e-mail offers, keep e-mail service messages: the HTMX fragment comes back, in Chinese.
    reply = client.post("/m/preferences", data={"consent": ["email:service"], "csrf_token": csrf_of(home)},
                        headers={"HX-Request": "true", "Accept-Language": "zh-CN"})
    assert reply.status_code == 200 and "<html" not in reply.text and 'id="preferences"' in reply.text
    with runtime.factory() as session:
        history = [(c.granted, c.source) for c in consents.history(session, cid)
                   if (c.channel, c.purpose) == ("email", "marketing")]
    assert history[-2:] == [(True, "checkout"), (False, "member_page")]  # the grant is kept, not overwritten

    care = CareSettings(_env_file=None, quiet_hours="00:00-00:00", caps="")
    before = len(mailbox.messages)
    report = run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care,
                       owner="t")
    assert report["sent"] == 1 and report["reasons"] == {"no_consent": 1}
    with runtime.factory() as session:
        assert session.get(OutboxMessage, marketing).status == "suppressed"
        assert session.get(OutboxMessage, marketing).reason == "no_consent"
        assert session.get(OutboxMessage, service).status == "sent"
    assert len(mailbox.messages) == before + 1
