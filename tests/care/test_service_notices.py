"""Service notices (a recall, a delay) to the buyers of one SKU or one batch: outside marketing caps and
marketing opt-outs, and on the audit record."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from guanxi.care import campaigns, template_store, triggers
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.delivery import run_drain
from guanxi.care.models import OutboxMessage
from guanxi.customers import consents
from guanxi.db import transaction
from guanxi.errors import Invalid
from guanxi.privacy.models import AuditEntry
from guanxi.staff.roles import SYSTEM

UTC = dt.UTC


def _drain(runtime, care):
    return run_drain(runtime.factory, runtime.settings, runtime.cipher, runtime.secrets.session_secret, care,
                     owner="t")


def _campaign(runtime, purpose, template, audience) -> int:
    with transaction(runtime.factory) as session:
        row = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name=template, channels=["email"], purpose=purpose, audience=audience,
            variants=[{"name": "A", "template": template, "weight": 1}]))
        campaigns.set_status(session, SYSTEM, row.id, "active")
        return row.id


def test_a_recall_reaches_buyers_of_the_batch_at_the_cap_and_opted_out(runtime, smtp, care_settings, person, order):
    care = care_settings.model_copy(update={"caps": "1/week"})
    with transaction(runtime.factory) as session:
        for name, subject, body in (("news", "新茶上市", "{{ customer.name }}，春茶到了"),
                                    ("recall", "召回通知", "{{ customer.name }}，您购买的批次需召回，我们将全额退款")):
            template_store.save_template(session, SYSTEM, name=name, channel="email", locale="zh-CN",
                                         subject=subject, body=body)
    in_batch = person(email="batch@care.example")
    person(email="earlier@care.example")
    person(email="never@care.example")
    order("batch@care.example", dt.datetime(2026, 3, 5, 10, tzinfo=UTC))
    order("earlier@care.example", dt.datetime(2026, 1, 5, 10, tzinfo=UTC))

    # She got this week's one marketing message, then opted out of marketing e-mail altogether.
    news = _campaign(runtime, "marketing", "news", {"customer_ids": [in_batch]})
    triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care, campaign_id=news)
    assert _drain(runtime, care)["sent"] == 1
    with transaction(runtime.factory) as session:
        consents.set_consent(session, in_batch, "email", "marketing", False, source="test")

    recall = _campaign(runtime, "service", "recall",
                       {"buyers_of": {"sku": "TEA-01", "from": "2026-03-01", "to": "2026-03-31"}})
    run = triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care,
                                campaign_id=recall)[recall]
    assert run["queued"] == 1  # only the batch's buyer: not the January buyer, not someone who never bought
    report = _drain(runtime, care)
    assert report["sent"] == 1 and report["deferred"] == 0 and report["suppressed"] == 0
    mail = smtp.messages[-1]
    assert mail["To"] == "batch@care.example" and mail["Subject"] == "召回通知" and mail["List-Unsubscribe"] is None
    with runtime.factory() as session:
        [msg] = session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_id == recall)).all()
        assert (msg.customer_id, msg.purpose, msg.status) == (in_batch, "service", "sent")
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.kind == "care_service_notice_queued")).all()
        assert entry.subject_id == str(recall) and entry.details["queued"] == 1
        assert entry.details["audience"]["buyers_of"]["sku"] == "TEA-01"


def test_buyers_of_without_dates_is_every_buyer(runtime, care_settings, person, order):
    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="delay", channel="email", locale="zh-CN",
                                     subject="发货延迟", body="{{ customer.name }}，您的订单将晚两天发出")
    ids = [person(email=f"all{i}@care.example") for i in range(2)]
    for i in range(2):
        order(f"all{i}@care.example", dt.datetime(2025 + i, 6, 1, tzinfo=UTC))
    person(email="none@care.example")
    cid = _campaign(runtime, "service", "delay", {"buyers_of": {"sku": "TEA-01"}})
    with runtime.factory() as session:
        dry = triggers.dry_run(session, runtime.cipher, care_settings, campaigns.get_campaign(session, cid),
                               dt.datetime.now(UTC))
    assert dry["audience"] == len(ids) == dry["would_send"]


@pytest.mark.parametrize("buyers", [{"sku": ""}, {"sku": 7}, {"sku": "X", "batch": "B1"}, {"sku": "X", "from": "March"},
                                    {"sku": "X", "from": "2026-03-05", "to": "2026-03-01"}, {"sku": "X", "to": 20260301},
                                    "TEA-01"])
def test_buyers_of_is_checked(buyers):
    with pytest.raises(Invalid, match="buyers_of"):
        campaigns.check_spec(CampaignSpec(name="x", channels=["email"], purpose="service",
                                          variants=[{"template": "t"}], audience={"buyers_of": buyers}))
