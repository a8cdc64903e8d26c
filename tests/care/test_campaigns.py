"""Campaigns and triggers on SQLite and PostgreSQL: idempotent per customer per period, in local time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from guanxi.care import campaigns, template_store, triggers
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.models import OutboxMessage, Recipient
from guanxi.care.outbox import message_text
from guanxi.customers import consents, shipments
from guanxi.db import transaction, utcnow
from guanxi.errors import Conflict, Invalid
from guanxi.staff.roles import SYSTEM

UTC = dt.UTC
D = dt.date


@pytest.fixture
def setup(runtime, care_settings):
    class Setup:
        def template(self, name, channel="email", locale="zh-CN", subject="{{ customer.first_name }}，您好",
                     body="亲爱的{{ customer.name }}：{{ offer.title }} {{ offer.code }}"):
            with transaction(runtime.factory) as session:
                return template_store.save_template(session, SYSTEM, name=name, channel=channel, locale=locale,
                                                    subject=subject, body=body).id

        def campaign(self, activate=True, **kw) -> int:
            kw.setdefault("channels", ["email"])
            kw.setdefault("variants", [{"name": "A", "template": "greet", "weight": 1}])
            with transaction(runtime.factory) as session:
                row = campaigns.create_campaign(session, SYSTEM, CampaignSpec(name=kw.pop("name", "c"), **kw))
                if activate:
                    campaigns.set_status(session, SYSTEM, row.id, "active")
                return row.id

        def run(self, now=None, today=None, campaign_id=None):
            return triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret,
                                         care_settings, now=now or utcnow(), today=today, campaign_id=campaign_id)

        def outbox(self, campaign_id=None):
            with runtime.factory() as session:
                stmt = select(OutboxMessage).order_by(OutboxMessage.id)
                if campaign_id:
                    stmt = stmt.where(OutboxMessage.campaign_id == campaign_id)
                return list(session.scalars(stmt))

        def text(self, msg):
            return message_text(runtime.cipher, msg)

    s = Setup()
    s.template("greet")
    return s


def test_birthday_in_each_customers_time_zone(runtime, setup, person):
    sh = person("王小明", birthday="1990-05-17", timezone="Asia/Shanghai")
    la = person("Ann Lee", birthday="1991-05-17", timezone="America/Los_Angeles", locale="en")
    person("李四", birthday="1990-05-18")
    cid = setup.campaign(trigger="birthday", offer={"kind": "coupon_code", "code": "BDAY20", "title": "生日券"})
    now = dt.datetime(2026, 5, 16, 17, 0, tzinfo=UTC)  # 17 May 01:00 in Shanghai, 16 May 10:00 in Los Angeles
    assert setup.run(now=now)[cid]["queued"] == 1
    [msg] = setup.outbox(cid)
    assert msg.customer_id == sh and msg.purpose == "marketing" and msg.variant == "A"
    assert setup.text(msg) == ("小明，您好", "亲爱的王小明：生日券 BDAY20")
    later = dt.datetime(2026, 5, 17, 8, 0, tzinfo=UTC)  # 17 May 01:00 in Los Angeles
    assert setup.run(now=later)[cid] == {"chosen": 1, "queued": 1, "control": 0, "repeated": 1, "skipped": {}}
    assert {m.customer_id for m in setup.outbox(cid)} == {sh, la}
    # the same day again, on another worker: nothing new
    assert setup.run(now=later + dt.timedelta(hours=1))[cid]["queued"] == 0
    assert len(setup.outbox(cid)) == 2


def test_birthday_days_before_and_29_february(runtime, setup, person):
    leap = person("闰年", birthday="2000-02-29")
    md_only = person("月日", birthday="--03-03")
    cid = setup.campaign(trigger="birthday", params={"days_before": 3})
    assert setup.run(today=D(2027, 2, 25))[cid]["queued"] == 1       # 28 Feb 2027 is leap's day
    assert setup.run(today=D(2027, 2, 28))[cid]["queued"] == 1       # md_only on 3 March
    assert [m.customer_id for m in setup.outbox(cid)] == [leap, md_only]
    assert setup.run(today=D(2028, 2, 26))[cid]["queued"] == 1       # 29 Feb 2028 exists
    with runtime.factory() as session:
        periods = sorted(session.scalars(select(Recipient.period).where(Recipient.customer_id == leap)))
    assert periods == ["birthday:2027", "birthday:2028"]


def test_holiday_campaign_mid_autumn_and_member_day(runtime, setup, person, care_settings):
    a, b = person(), person()
    cid = setup.campaign(trigger="holiday", params={"occasion": "mid_autumn", "days_before": 1})
    assert setup.run(today=D(2026, 9, 23)) == {cid: {"chosen": 0, "queued": 0, "control": 0, "repeated": 0, "skipped": {}}}
    assert setup.run(today=D(2026, 9, 24))[cid]["queued"] == 2
    assert setup.run(today=D(2026, 9, 24))[cid]["queued"] == 0
    assert {m.customer_id for m in setup.outbox(cid)} == {a, b}
    care_settings.member_day = 18
    member = setup.campaign(trigger="holiday", params={"occasion": "member_day"})
    assert setup.run(today=D(2026, 10, 18), campaign_id=member)[member]["queued"] == 2
    assert setup.run(today=D(2026, 11, 18), campaign_id=member)[member]["queued"] == 2


def test_order_delivered_follow_up_after_n_days(runtime, setup, person, order):
    cid_person = person(email="buyer@care.example")
    oid = order("buyer@care.example", dt.datetime(2026, 5, 1, 2, 0, tzinfo=UTC), external_id="A1001")
    with transaction(runtime.factory) as session:
        shipments.record_shipment(session, oid, shipments.ShipmentIn(
            external_id="S1", status="delivered", delivered_at=dt.datetime(2026, 5, 3, 2, 0, tzinfo=UTC)))
    setup.template("followup", subject="订单{{ order.external_id }}", body="{{ order.delivered_at }} 送达，满意吗？")
    cid = setup.campaign(trigger="order_followup", params={"days": 3}, purpose="service",
                         variants=[{"name": "A", "template": "followup", "weight": 1}])
    assert setup.run(now=dt.datetime(2026, 5, 5, 2, 0, tzinfo=UTC))[cid]["queued"] == 0
    assert setup.run(now=dt.datetime(2026, 5, 6, 2, 0, tzinfo=UTC))[cid]["queued"] == 1
    assert setup.run(now=dt.datetime(2026, 5, 6, 9, 0, tzinfo=UTC))[cid]["queued"] == 0
    [msg] = setup.outbox(cid)
    assert msg.customer_id == cid_person and msg.purpose == "service"
    assert setup.text(msg) == ("订单A1001", "2026-05-03 送达，满意吗？")


def test_first_order_welcome_once(runtime, setup, person, order):
    person(email="new@care.example")
    cid = setup.campaign(trigger="first_order")
    now = dt.datetime(2026, 5, 10, 4, 0, tzinfo=UTC)
    order("new@care.example", now - dt.timedelta(hours=2))
    assert setup.run(now=now)[cid]["queued"] == 1
    order("new@care.example", now + dt.timedelta(hours=2))
    assert setup.run(now=now + dt.timedelta(hours=5))[cid]["queued"] == 0


def test_winback_after_n_days_without_an_order(runtime, setup, person, order):
    person(email="quiet@care.example")
    person(email="active@care.example")
    order("quiet@care.example", dt.datetime(2026, 1, 10, 4, 0, tzinfo=UTC))
    order("active@care.example", dt.datetime(2026, 1, 10, 4, 0, tzinfo=UTC))
    order("active@care.example", dt.datetime(2026, 3, 10, 4, 0, tzinfo=UTC))
    cid = setup.campaign(trigger="winback", params={"days": 60})
    assert setup.run(now=dt.datetime(2026, 3, 10, 4, 0, tzinfo=UTC))[cid]["queued"] == 0
    assert setup.run(now=dt.datetime(2026, 3, 11, 4, 0, tzinfo=UTC))[cid]["queued"] == 1
    assert setup.run(now=dt.datetime(2026, 3, 12, 4, 0, tzinfo=UTC))[cid]["queued"] == 0


def test_stuck_shipment_apology(runtime, setup, person, order):
    person(email="waiting@care.example")
    oid = order("waiting@care.example", dt.datetime(2026, 5, 1, 2, 0, tzinfo=UTC))
    with transaction(runtime.factory) as session:
        shipments.record_shipment(session, oid, shipments.ShipmentIn(
            external_id="S9", at=dt.datetime(2026, 5, 1, 8, 0, tzinfo=UTC)))
        shipments.flag_stuck(session, dt.datetime(2026, 5, 9, tzinfo=UTC), 5)
    setup.template("sorry", subject="抱歉", body="您的包裹（订单{{ order.external_id }}）还在路上")
    cid = setup.campaign(trigger="stuck_shipment", purpose="service",
                         variants=[{"name": "A", "template": "sorry", "weight": 1}])
    assert setup.run()[cid]["queued"] == 1
    assert setup.run()[cid]["queued"] == 0


def test_list_audience_ab_control_and_uplift(runtime, setup, person, order):
    setup.template("greet_b", subject="B", body="B {{ customer.name }}")
    emails = [f"ab{i}@care.example" for i in range(40)]
    ids = [person(email=e) for e in emails]
    cid = setup.campaign(audience={"customer_ids": ids}, control_percent=30,
                         variants=[{"name": "A", "template": "greet", "weight": 1},
                                   {"name": "B", "template": "greet_b", "weight": 1}])
    result = setup.run()[cid]
    assert result["chosen"] == 40 and result["control"] + result["queued"] == 40 and result["control"] > 0
    assert {m.variant for m in setup.outbox(cid)} == {"A", "B"}
    with runtime.factory() as session:
        groups = dict(session.execute(select(Recipient.customer_id, Recipient.variant)
                                      .where(Recipient.campaign_id == cid)).all())
    soon = utcnow() + dt.timedelta(hours=1)
    for e, i in zip(emails, ids, strict=True):
        if groups[i] == "A":
            order(e, soon, total_minor=5000)
    order(emails[ids.index(next(i for i in ids if groups[i] == "control"))], soon, total_minor=1000)
    with runtime.factory() as session:
        rep = campaigns.report(session, cid)
    a, b, control = rep["groups"]["A"], rep["groups"]["B"], rep["groups"]["control"]
    assert a["conversion_rate"] == 1.0 and b["conversion_rate"] == 0.0
    assert control["converted"] == 1 and a["conversion_uplift"] > 0 > b["conversion_uplift"]
    assert a["revenue_per_recipient_minor"] == 5000
    assert rep["outbox"]["queued"] == result["queued"]


def test_filter_audience_and_dry_run(runtime, setup, person, care_settings):
    vip = person(tags=["vip"])
    person(tags=["vip"], consent=())
    person(tags=["other"])
    cid = setup.campaign(audience={"filter": {"tags": ["vip"]}})
    with runtime.factory() as session:
        counts = triggers.dry_run(session, runtime.cipher, care_settings, campaigns.get_campaign(session, cid), utcnow())
    assert counts == {"audience": 2, "already_reached": 0, "control": 0, "would_send": 1, "no_consent": 1}
    setup.run()
    assert {m.customer_id for m in setup.outbox(cid)} >= {vip}


def test_channel_follows_consent(runtime, setup, person):
    setup.template("greet", channel="sms", subject=None, body="短信 {{ customer.name }}")
    only_sms = person(phone="13700137000", consent=("sms",))
    cid = setup.campaign(audience={"customer_ids": [only_sms]}, channels=["email", "sms"])
    setup.run()
    [msg] = setup.outbox(cid)
    assert msg.channel == "sms"


def test_activation_needs_templates_and_no_banned_words(runtime, setup):
    with pytest.raises(Conflict, match="no email template named 'missing'"):
        setup.campaign(audience={"customer_ids": [1]}, variants=[{"name": "A", "template": "missing", "weight": 1}])
    setup.template("loud", body="全网最低价，第一品牌")
    with pytest.raises(Conflict, match="banned"):
        setup.campaign(audience={"customer_ids": [1]}, variants=[{"name": "A", "template": "loud", "weight": 1}])
    # a service notice may say what it must
    setup.campaign(audience={"customer_ids": [1]}, purpose="service",
                   variants=[{"name": "A", "template": "loud", "weight": 1}])


@pytest.mark.parametrize("kw, where", [
    ({"channels": []}, "channels"), ({"channels": ["fax"]}, "channels"), ({"variants": []}, "variants"),
    ({"variants": [{"name": "control", "template": "x"}]}, "variants"),
    ({"variants": [{"template": "x", "weight": 0}]}, "variants"),
    ({"trigger": "moon"}, "trigger"), ({"trigger": "birthday", "params": {"days_before": 99}}, "params"),
    ({"trigger": "birthday", "params": {"days": 3}}, "params"),
    ({"trigger": "holiday", "params": {"occasion": "xmas"}}, "params"),
    ({}, "audience"), ({"audience": {"customer_ids": ["1"]}}, "audience"),
    ({"trigger": "birthday", "control_percent": 60}, "control_percent"),
    ({"trigger": "birthday", "caps": "lots"}, "caps"),
    ({"trigger": "birthday", "purpose": "spam"}, "purpose"),
])
def test_campaign_spec_is_checked(kw, where):
    spec = CampaignSpec(name="x", channels=kw.pop("channels", ["email"]),
                        variants=kw.pop("variants", [{"name": "A", "template": "t", "weight": 1}]), **kw)
    with pytest.raises(Invalid) as err:
        campaigns.check_spec(spec)
    assert err.value.errors[0]["loc"] == ["body", where]


def test_offer_needs_a_provider():
    spec = CampaignSpec(name="x", channels=["email"], variants=[{"name": "A", "template": "t", "weight": 1}],
                        trigger="birthday", offer={"kind": "gift_card", "amount": 100})
    with pytest.raises(Invalid, match="no provider for offer kind .gift_card."):
        campaigns.check_spec(spec)


def test_preview_with_a_real_customer_and_without_personalisation(runtime, setup, person):
    cid = person("欧阳翠芬", birthday="--11-23")
    tid = setup.template("hello", subject="{{ customer.first_name }}", body="{{ customer.name }} {{ customer.birthday }}")
    with transaction(runtime.factory) as session:
        got = template_store.preview(session, runtime.cipher, SYSTEM, tid, cid, shop_name="茶铺")
    assert (got["subject"], got["body"]) == ("翠芬", "欧阳翠芬 11-23")
    with transaction(runtime.factory) as session:
        consents.set_consent(session, cid, "any", "personalisation", False)
    with transaction(runtime.factory) as session:
        got = template_store.preview(session, runtime.cipher, SYSTEM, tid, cid, shop_name="茶铺")
    assert (got["subject"], got["body"]) == ("会员", "会员")


def test_saving_a_template_versions_it(runtime, setup):
    a = setup.template("v", body="one")
    b = setup.template("v", body="two")
    setup.template("v", body="two")
    with runtime.factory() as session:
        row = template_store.get_template(session, a)
        count = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert a == b and row.version == 2 and row.body == "two" and count == 0
    with pytest.raises(Invalid):
        setup.template("v", body="{{ nope }}")
