"""Care with the loyalty and analytics domains: points offers and balances, segment audiences."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from guanxi.care import segments, template_store, triggers
from guanxi.care import campaigns as campaign_service
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.models import Campaign, OutboxMessage
from guanxi.care.outbox import message_text
from guanxi.db import transaction, utcnow
from guanxi.errors import Invalid
from guanxi.staff.roles import SYSTEM

loyalty_points = pytest.importorskip("guanxi.loyalty.points")


def _campaign(runtime, **kw) -> int:
    with transaction(runtime.factory) as session:
        row = campaign_service.create_campaign(session, SYSTEM, CampaignSpec(
            name="c", channels=["email"], variants=[{"name": "A", "template": "gift", "weight": 1}], **kw))
        campaign_service.set_status(session, SYSTEM, row.id, "active")
        return row.id


def _run(runtime, care_settings, cid):
    return triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care_settings,
                                 now=utcnow(), campaign_id=cid)[cid]


@pytest.fixture
def gift_template(runtime):
    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="gift", channel="email", locale="zh-CN", subject="礼物",
                                     body="送您{{ offer.points }}积分，现有{{ customer.points }}积分")


def test_points_offer_is_granted_once_through_loyalty(runtime, care_settings, person, gift_template):
    cid = person()
    campaign = _campaign(runtime, audience={"customer_ids": [cid]}, offer={"kind": "points", "points": 100,
                                                                         "title": "生日积分"})
    assert _run(runtime, care_settings, campaign)["queued"] == 1
    assert _run(runtime, care_settings, campaign)["queued"] == 0
    with runtime.factory() as session:
        assert loyalty_points.summary(session, cid)["available"] == 100
        msg = session.scalar(select(OutboxMessage).where(OutboxMessage.campaign_id == campaign))
    assert message_text(runtime.cipher, msg)[1] == "送您100积分，现有100积分"


def test_points_offer_is_bounded():
    with pytest.raises(Invalid, match="points offer"):
        campaign_service.check_spec(CampaignSpec(name="x", channels=["email"], trigger="birthday",
                                                 variants=[{"name": "A", "template": "t", "weight": 1}],
                                                 offer={"kind": "points", "points": 0}))


def test_segment_audience_through_the_seam(runtime, care_settings, person, gift_template):
    a, b = person(), person()

    def fake_segment(session, segment_id):
        assert segment_id == 7
        return [a]

    segments.register(fake_segment)
    try:
        campaign = _campaign(runtime, audience={"segment_id": 7})
        assert _run(runtime, care_settings, campaign)["queued"] == 1
    finally:
        segments.unregister(fake_segment)
    with runtime.factory() as session:
        assert list(session.scalars(select(OutboxMessage.customer_id))) == [a]
    assert b != a


def test_a_campaign_aimed_at_a_community_reaches_exactly_its_members(runtime, care_settings, person, gift_template):
    communities = pytest.importorskip("guanxi.social.communities")
    a, b, gone, outsider = person(), person(), person(), person()
    with transaction(runtime.factory) as session:
        group, _ = communities.upsert_community(session, platform="wechat", external_id="grp-care", name="老客群",
                                                kind="group")
        other, _ = communities.upsert_community(session, platform="wechat", external_id="grp-other", name="别的群",
                                                kind="group")
        communities.join(session, group.id, [a, b, gone])
        communities.join(session, other.id, [outsider])
        communities.leave(session, group.id, gone)
        gid = group.id
    campaign = _campaign(runtime, audience={"community_id": gid})
    with runtime.factory() as session:
        row = session.get(Campaign, campaign)
        assert triggers.dry_run(session, runtime.cipher, care_settings, row, utcnow()) == {
            "audience": 2, "already_reached": 0, "control": 0, "would_send": 2, "no_consent": 0}
    assert _run(runtime, care_settings, campaign)["queued"] == 2
    with runtime.factory() as session:
        assert sorted(session.scalars(select(OutboxMessage.customer_id))) == sorted([a, b])


def test_a_community_audience_is_checked():
    pytest.importorskip("guanxi.social.communities")
    for bad in ({"community_id": 0}, {"community_id": "7"}, {"community_id": True}, {"community": 7}):
        with pytest.raises(Invalid, match="audience|community"):
            campaign_service.check_spec(CampaignSpec(name="x", channels=["email"], audience=bad,
                                                     variants=[{"name": "A", "template": "t", "weight": 1}]))


def test_an_unknown_community_is_a_not_found(runtime, care_settings, gift_template):
    pytest.importorskip("guanxi.social.communities")
    from guanxi.errors import NotFound

    campaign = _campaign(runtime, audience={"community_id": 999_999})
    with runtime.factory() as session, pytest.raises(NotFound, match="no community"):
        triggers.dry_run(session, runtime.cipher, care_settings, session.get(Campaign, campaign),
                         utcnow())
