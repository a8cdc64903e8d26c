"""segment_entered / segment_left on SQLite and PostgreSQL: an order moves a customer into a live segment,
the campaign reaches them once, and again only after they left and came back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from guanxi.analytics import membership, reports, segment_rules
from guanxi.analytics.recompute import recompute
from guanxi.care import campaigns, segment_triggers
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.models import OutboxMessage
from guanxi.customers import profiles
from guanxi.db import transaction, utcnow
from guanxi.errors import Invalid
from guanxi.staff.roles import SYSTEM
from tests.care.test_more_triggers import care  # noqa: F401  (the fixture)

RULE = {"all": [{"field": "orders", "op": ">=", "value": 2}, {"field": "city", "op": "=", "value": "上海"}]}


def _rescore(runtime) -> dict:
    """What the daily job analytics.recompute does: new scores, then the entries and exits they cause."""
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, now=utcnow())
        return membership.rebuild(session)


def _segment(runtime, person, order) -> tuple[int, int, str]:
    email = "seg@care.example"
    cid = person(email=email)
    with transaction(runtime.factory) as session:
        profiles.update_profile(session, runtime.cipher, cid, {"city": "上海"})
    order(email, utcnow() - dt.timedelta(days=30))
    _rescore(runtime)
    with transaction(runtime.factory) as session:
        row = reports.create_segment(session, "two orders in shanghai", RULE, "test")
        membership.sync_segment(session, row.id, segment_rules.parse(RULE), cause="created")
    return cid, row.id, email


def _queued(runtime, campaign_id) -> list[int]:
    with runtime.factory() as session:
        return list(session.scalars(select(OutboxMessage.customer_id).where(OutboxMessage.campaign_id == campaign_id)))


def test_an_order_moves_a_customer_in_and_the_campaign_reaches_them_once(runtime, person, order, care):
    cid, sid, email = _segment(runtime, person, order)
    entered = care.campaign("segment_entered", {"segment_id": sid})
    left = care.campaign("segment_left", {"segment_id": sid})
    assert care.run(entered)["chosen"] == 0
    order(email, utcnow() - dt.timedelta(days=1))              # the second order ...
    assert _rescore(runtime)["entered"] == 1                     # ... moves them in with the new scores
    with runtime.factory() as session:
        assert membership.members(session, sid) == {cid}
    first = care.run(entered)
    assert (first["chosen"], first["queued"]) == (1, 1)
    assert care.run(entered)["chosen"] == 0 and _queued(runtime, entered) == [cid]   # the re-run sends nothing
    order(email, utcnow() - dt.timedelta(hours=1))             # still inside: no new entry
    assert _rescore(runtime)["entered"] == 0 and care.run(entered)["chosen"] == 0
    assert care.run(left)["chosen"] == 0

    with transaction(runtime.factory) as session:
        profiles.update_profile(session, runtime.cipher, cid, {"city": "北京"})
    assert care.run(left)["queued"] == 1 and care.run(left)["chosen"] == 0
    with transaction(runtime.factory) as session:
        profiles.update_profile(session, runtime.cipher, cid, {"city": "上海"})
    assert care.run(entered)["queued"] == 1                     # back in: a second entry, a second message
    assert _queued(runtime, entered) == [cid, cid] and _queued(runtime, left) == [cid]
    assert [p.split(":")[0] for _, p in care.periods(entered)] == ["seg_in", "seg_in"]


def test_entries_before_the_campaign_existed_are_not_reached(runtime, person, order, care):
    cid, sid, email = _segment(runtime, person, order)
    order(email, utcnow() - dt.timedelta(days=1))
    _rescore(runtime)
    campaign = care.campaign("segment_entered", {"segment_id": sid})
    assert care.run(campaign)["chosen"] == 0


def test_the_cursor_starts_after_the_last_change_reached(runtime, person, order, care):
    cid, sid, email = _segment(runtime, person, order)
    campaign = care.campaign("segment_entered", {"segment_id": sid})
    order(email, utcnow() - dt.timedelta(days=1))
    _rescore(runtime)
    care.run(campaign)
    with runtime.factory() as session:
        [(_, stamp)] = membership.entered_since(session, sid, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        row = campaigns.get_campaign(session, campaign)
        run = segment_triggers.Run(session, None, None, row, utcnow(), None)
        assert segment_triggers.cursor(run, "segment_entered", sid) == stamp - segment_triggers.OVERLAP
        assert segment_triggers.cursor(run, "segment_left", sid) == row.created_at


@pytest.mark.parametrize("params", [{}, {"segment_id": "7"}, {"segment_id": 0}, {"segment_id": True}])
def test_the_segment_is_checked_when_the_campaign_is_saved(runtime, params):
    with transaction(runtime.factory) as session, pytest.raises(Invalid, match="segment_id"):
        campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name="bad", channels=["email"], variants=[{"template": "greet"}], trigger="segment_entered",
            params=params))


def test_a_journey_enters_each_customer_once_per_entry(runtime, app, client, auth, person, order, care, care_settings):
    from guanxi.care.journey_runner import advance
    from guanxi.care.models import JourneyMember

    cid, sid, email = _segment(runtime, person, order)
    app.state.care_settings = care_settings
    r = client.post("/api/v1/care/journeys", json={
        "name": "welcome to the club", "trigger": "segment_entered", "params": {"segment_id": sid},
        "steps": [{"id": "hello", "type": "send", "channel": "email", "template": "greet"}]}, headers=auth("operations"))
    assert r.status_code == 201, r.text
    jid = r.json()["id"]
    assert client.post(f"/api/v1/care/journeys/{jid}/activate", headers=auth("operations")).status_code == 200
    order(email, utcnow() - dt.timedelta(days=1))
    _rescore(runtime)

    def members():
        with runtime.factory() as session:
            return list(session.scalars(select(JourneyMember.customer_id).where(JourneyMember.journey_id == jid)))

    now = utcnow() + dt.timedelta(minutes=1)
    advance(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care_settings, now=now)
    assert members() == [cid]
    advance(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care_settings,
            now=now + dt.timedelta(hours=2))                                   # entrants looked for again
    assert members() == [cid]
