"""Member events and product trials on SQLite and PostgreSQL: seats under concurrency, the door ticket,
points once, the application window, picking within the quantity, care invitations and review requests once."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from guanxi.analytics.models import CustomerScore
from guanxi.analytics import membership, reports, segment_rules
from guanxi.care import campaigns, template_store, triggers
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.models import OutboxMessage
from guanxi.care.outbox import message_text
from guanxi.care.settings import CareSettings
from guanxi.customers import consents, hooks, normalise, profiles
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import transaction
from guanxi.errors import Conflict, Forbidden, Invalid
from guanxi.loyalty import activities, catalogue, store, tiers
from guanxi.loyalty.models import PointEntry
from guanxi.staff.roles import SYSTEM

UTC = dt.UTC
T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY = dt.timedelta(days=1)
_seq = itertools.count(1)


@pytest.fixture
def member(runtime):
    """member(city=..., tier=...) -> customer id (consents to marketing e-mail)."""

    def make(*, city: str | None = None, tier: str | None = None) -> int:
        n = next(_seq)
        with transaction(runtime.factory) as session:
            cid, _ = profiles.upsert_customer(session, runtime.cipher, PersonIn(
                identities=[IdentityKey("email", "", normalise.email(f"m{n}@act.example"))], name=f"会员{n}",
                city=city, timezone="Asia/Shanghai", locale="zh-CN"))
            consents.set_consent(session, cid, "email", "marketing", True, source="test")
            if tier:
                catalogue.put_tier(session, code=tier, name=tier.title(), rank=len(tier), min_spend_minor=0,
                                   min_orders=0, benefits={})
                tiers.assign(session, cid, tier, T0 + 365 * DAY, SYSTEM)
        return cid

    return make


def _event(runtime, **kw) -> int:
    fields = dict(kind="meetup", title="新品品鉴会", starts_at=T0 + 7 * DAY, ends_at=T0 + 7 * DAY + dt.timedelta(hours=2),
                  capacity=5, place="上海 静安店", points=50)
    fields.update(kw)
    with transaction(runtime.factory) as session:
        return activities.create_event(session, "test", **fields).id


def _answer(runtime, event_id, cid, said="yes", now=T0):
    with transaction(runtime.factory) as session:
        row = activities.answer(session, event_id, cid, said, now=now)
        return row.answer, activities.ticket(runtime.secrets.session_secret, row)


def _check_in(runtime, event_id, token, now=T0 + 7 * DAY):
    with transaction(runtime.factory) as session:
        return activities.check_in(session, runtime.secrets.session_secret, event_id, token, "door", now=now)


def _concurrent_yes(runtime, event_id, people) -> list[str]:
    barrier = threading.Barrier(len(people))

    def say_yes(cid):
        barrier.wait()
        try:
            return _answer(runtime, event_id, cid)[0]
        except Conflict:
            return "full"

    with ThreadPoolExecutor(len(people)) as pool:
        return list(pool.map(say_yes, people))


def test_twenty_simultaneous_yes_fill_exactly_the_five_seats(runtime, member):
    people = [member() for _ in range(20)]
    event_id = _event(runtime, capacity=5)
    outcomes = _concurrent_yes(runtime, event_id, people)
    assert outcomes.count("yes") == 5 and outcomes.count("full") == 15
    with runtime.factory() as session:
        assert activities.counts(session, event_id)["yes"] == 5


def test_with_a_waitlist_the_rest_wait_and_a_no_moves_the_first_one_up(runtime, member):
    people = [member() for _ in range(8)]
    event_id = _event(runtime, capacity=3, waitlist=True)
    outcomes = _concurrent_yes(runtime, event_id, people)
    assert sorted(outcomes) == ["waitlist"] * 5 + ["yes"] * 3
    with runtime.factory() as session:
        rows = activities.rsvps(session, event_id)
        seated = [r.customer_id for r in rows if r.answer == "yes"]
        first_waiting = next(r.customer_id for r in rows if r.answer == "waitlist")
    assert _answer(runtime, event_id, seated[0], "no")[0] == "no"
    with runtime.factory() as session:
        assert activities.rsvp_of(session, event_id, first_waiting).answer == "yes"
        assert activities.counts(session, event_id) == {"yes": 3, "no": 1, "waitlist": 4, "checked_in": 0}


def test_answering_yes_twice_keeps_one_seat_and_a_full_event_refuses(runtime, member):
    a, b = member(), member()
    event_id = _event(runtime, capacity=1)
    assert _answer(runtime, event_id, a)[0] == "yes"
    assert _answer(runtime, event_id, a)[0] == "yes"
    with pytest.raises(Conflict, match="full"):
        _answer(runtime, event_id, b)
    with pytest.raises(Conflict, match="over or cancelled"):
        _answer(runtime, event_id, b, now=T0 + 8 * DAY)


def test_a_ticket_checks_in_once_and_credits_the_points_once(runtime, member):
    cid = member()
    event_id = _event(runtime, points=50)
    _, token = _answer(runtime, event_id, cid)
    assert _check_in(runtime, event_id, token).checked_in_at is not None
    with pytest.raises(Conflict, match="already used"):
        _check_in(runtime, event_id, token)
    with runtime.factory() as session:
        assert store.balance_of(session, cid)["available"] == 50
        assert session.scalar(select(func.count()).select_from(PointEntry).where(
            PointEntry.customer_id == cid, PointEntry.source == "activity")) == 1
        assert store.verify(session) == []
        [attended] = [e for e in hooks.timeline_sources["loyalty_activities"](session, cid, 10)
                      if e["kind"] == "event_attended"]
        assert attended["event_id"] == event_id and "新品品鉴会" in attended["summary"]


def test_a_ticket_of_another_event_or_a_forged_one_is_refused(runtime, member):
    cid = member()
    first, second = _event(runtime), _event(runtime, title="直播问答", kind="live_qa", place=None,
                                           link="https://live.example/qa")
    _, token = _answer(runtime, first, cid)
    with pytest.raises(Conflict, match="another event"):
        _check_in(runtime, second, token)
    rsvp_id, _, signature = token.partition("-")
    forged = [f"{rsvp_id}-{'0' * len(signature)}", f"{int(rsvp_id) + 1}-{signature}", "999999-abc", "nonsense", ""]
    for bad in forged:
        with pytest.raises(Invalid, match="not a ticket"):
            _check_in(runtime, first, bad)
    with runtime.factory() as session:
        assert activities.counts(session, first)["checked_in"] == 0


def test_no_place_no_check_in_and_the_audience_is_kept(runtime, member):
    gold, plain = member(tier="gold"), member()
    event_id = _event(runtime, audience={"tiers": ["gold"]}, capacity=1, waitlist=True)
    with pytest.raises(Forbidden):
        _answer(runtime, event_id, plain)
    _answer(runtime, event_id, gold)
    other_gold = member(tier="gold")
    said, token = _answer(runtime, event_id, other_gold)
    assert said == "waitlist"
    with pytest.raises(Conflict, match="no place"):
        _check_in(runtime, event_id, token)


def test_segment_audience_uses_the_segments_members(runtime, member):
    shanghai, beijing = member(city="上海"), member(city="北京")
    rule = {"field": "city", "op": "=", "value": "上海"}
    with transaction(runtime.factory) as session:
        for cid in (shanghai, beijing):  # segments are read over the analytics scores
            session.add(CustomerScore(customer_id=cid, segment="loyal", clv_minor=0, orders=1, window_orders=0,
                                      window_spend_minor=0, lifecycle_stage="active", period="2026-12-01"))
        session.flush()
        seg = reports.create_segment(session, "上海会员", rule, "test")
        membership.sync_segment(session, seg.id, segment_rules.parse(rule), cause="created")
        seg_id = seg.id
    event_id = _event(runtime, audience={"segment_id": seg_id})
    assert _answer(runtime, event_id, shanghai)[0] == "yes"
    with pytest.raises(Forbidden):
        _answer(runtime, event_id, beijing)
    with runtime.factory() as session:
        assert activities.audience_ids(session, activities.event(session, event_id).audience) == [shanghai]
        with pytest.raises(Invalid, match="no segment"):
            activities.check_audience(session, {"segment_id": seg_id + 100})
        with pytest.raises(Invalid, match="no tier"):
            activities.check_audience(session, {"tiers": ["platinum"]})


# -- trials ---------------------------------------------------------------------------------------

def _trial(runtime, **kw) -> int:
    fields = dict(title="新茶试饮", sku="TEA-NEW", quantity=2, apply_from=T0, apply_until=T0 + 3 * DAY)
    fields.update(kw)
    with transaction(runtime.factory) as session:
        return activities.create_trial(session, "test", **fields).id


def _apply(runtime, trial_id, cid, now):
    with transaction(runtime.factory) as session:
        row, created = activities.apply(session, trial_id, cid, now=now)
        return row.id, created


def test_applying_only_inside_the_window_and_once(runtime, member):
    cid = member()
    trial_id = _trial(runtime)
    with pytest.raises(Conflict, match="applications are open"):
        _apply(runtime, trial_id, cid, T0 - dt.timedelta(seconds=1))
    with pytest.raises(Conflict, match="applications are open"):
        _apply(runtime, trial_id, cid, T0 + 3 * DAY)
    app_id, created = _apply(runtime, trial_id, cid, T0)
    assert created and _apply(runtime, trial_id, cid, T0 + DAY) == (app_id, False)


def test_picking_never_gives_more_than_the_quantity(runtime, member):
    gold = [member(tier="gold") for _ in range(2)]
    others = [member() for _ in range(3)]
    trial_id = _trial(runtime, quantity=2)
    for i, cid in enumerate(others + gold):
        _apply(runtime, trial_id, cid, T0 + i * dt.timedelta(minutes=1))
    with transaction(runtime.factory) as session:
        with pytest.raises(Conflict, match="pick at most 2"):
            activities.pick(session, trial_id, "staff", count=3)
        with pytest.raises(Invalid, match="only 2 waiting applicants match"):
            activities.pick(session, trial_id, "staff", count=3, tier_codes=["gold"])
        picked = activities.pick(session, trial_id, "staff", count=1, tier_codes=["gold"])
        assert [a.customer_id for a in picked] == [gold[0]]  # first come among the filter
    with transaction(runtime.factory) as session:
        with pytest.raises(Conflict, match="pick at most 1"):
            activities.pick(session, trial_id, "staff", customer_ids=others[:2])
        with pytest.raises(Invalid, match="not waiting applicants"):
            activities.pick(session, trial_id, "staff", customer_ids=[gold[0]])
        activities.pick(session, trial_id, "staff", customer_ids=[others[2]])
    with transaction(runtime.factory) as session:
        with pytest.raises(Conflict, match="pick at most 0"):
            activities.pick(session, trial_id, "staff", count=1)
        assert sorted(a.customer_id for a in activities.applications(session, trial_id, status="picked")) \
            == sorted([gold[0], others[2]])


def test_shipping_steps_in_order(runtime, member):
    cid, waiting = member(), member()
    trial_id = _trial(runtime)
    app_id, _ = _apply(runtime, trial_id, cid, T0)
    other_id, _ = _apply(runtime, trial_id, waiting, T0)
    with transaction(runtime.factory) as session:
        activities.pick(session, trial_id, "staff", customer_ids=[cid])
        with pytest.raises(Conflict, match="applied cannot be marked shipped"):
            activities.mark(session, trial_id, other_id, activities.SHIPPED)
        assert activities.mark(session, trial_id, app_id, activities.SHIPPED, now=T0 + 4 * DAY).status == "shipped"
        assert activities.mark(session, trial_id, app_id, activities.DELIVERED, now=T0 + 5 * DAY).status == "delivered"
        assert activities.mark(session, trial_id, app_id, activities.DELIVERED).delivered_at == T0 + 5 * DAY


# -- through care ---------------------------------------------------------------------------------

@pytest.fixture
def care(runtime):
    settings = CareSettings(_env_file=None, quiet_hours="00:00-00:00", caps="", public_url="https://shop.example")

    class Care:
        def campaign(self, trigger, params, body) -> int:
            with transaction(runtime.factory) as session:
                template_store.save_template(session, SYSTEM, name=trigger, channel="email", locale="zh-CN",
                                             subject="会员活动", body=body)
                row = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
                    name=trigger, channels=["email"], variants=[{"name": "A", "template": trigger, "weight": 1}],
                    trigger=trigger, params=params, purpose="service" if trigger == "trial_review" else "marketing"))
                campaigns.set_status(session, SYSTEM, row.id, "active")
                return row.id

        def run(self, cid, now):
            report = triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret,
                                           settings, now=now, campaign_id=cid)[cid]
            return report["queued"], report["repeated"]

        def bodies(self, cid):
            with runtime.factory() as session:
                return sorted((m.customer_id, message_text(runtime.cipher, m)[1]) for m in session.scalars(
                    select(OutboxMessage).where(OutboxMessage.campaign_id == cid)))

    return Care()


def test_invitations_one_message_per_member_of_the_audience_once(runtime, member, care):
    gold = [member(tier="gold") for _ in range(3)]
    member()  # not gold: not invited
    event_id = _event(runtime, audience={"tiers": ["gold"]}, starts_at=dt.datetime(2026, 12, 8, 11, 30, tzinfo=UTC),
                      ends_at=dt.datetime(2026, 12, 8, 13, 0, tzinfo=UTC))
    cid = care.campaign("member_event", {"event_id": event_id},
                        "诚邀：{{ occasion.title }} {{ occasion.date }} {{ occasion.time }} {{ occasion.link }}")
    assert care.run(cid, T0) == (3, 0)
    assert care.run(cid, T0 + DAY) == (0, 3)
    assert care.bodies(cid) == [(g, "诚邀：新品品鉴会 2026-12-08 19:30 https://shop.example/m/#activities")
                                for g in gold]  # the start in the member's zone (Asia/Shanghai)


def test_no_invitations_once_the_event_started(runtime, member, care):
    member()
    event_id = _event(runtime, starts_at=T0 + DAY, ends_at=T0 + 2 * DAY)
    cid = care.campaign("member_event", {"event_id": event_id}, "{{ occasion.title }}")
    assert care.run(cid, T0 + DAY) == (0, 0)


def test_review_request_once_per_trial_participant_after_delivery(runtime, member, care):
    tester, second_trial_too, never_delivered = member(), member(), member()
    first, second = _trial(runtime), _trial(runtime, title="新杯试用", sku="CUP-NEW")
    delivered = T0 + 5 * DAY
    with transaction(runtime.factory) as session:
        for trial_id, people in ((first, (tester, second_trial_too, never_delivered)), (second, (second_trial_too,))):
            for cid in people:
                activities.apply(session, trial_id, cid, now=T0)
            activities.pick(session, trial_id, "staff", customer_ids=[c for c in people if c != never_delivered][:2])
            for app in activities.applications(session, trial_id, status="picked"):
                activities.mark(session, trial_id, app.id, activities.DELIVERED, now=delivered)
    cid = care.campaign("trial_review", {"days": 2}, "{{ occasion.title }} 用得怎么样？欢迎评价")
    assert care.run(cid, delivered + DAY) == (0, 0)
    assert care.run(cid, delivered + 2 * DAY) == (3, 0)
    assert care.run(cid, delivered + 3 * DAY) == (0, 3)
    assert care.bodies(cid) == sorted([(tester, "新茶试饮 用得怎么样？欢迎评价"),
                                       (second_trial_too, "新茶试饮 用得怎么样？欢迎评价"),
                                       (second_trial_too, "新杯试用 用得怎么样？欢迎评价")])


def test_member_event_campaign_needs_an_event_id(runtime, care):
    with pytest.raises(Invalid, match="event_id"):
        care.campaign("member_event", {}, "x")
    with pytest.raises(Invalid, match="event_id"):
        care.campaign("member_event", {"event_id": "3"}, "x")


def test_a_merge_moves_answers_and_applications_except_where_the_survivor_has_its_own(runtime, member):
    from guanxi.customers import merging

    survivor, merged = member(), member()
    both, only_merged = _event(runtime), _event(runtime, title="会员日", kind="member_day")
    trial_id = _trial(runtime)
    _answer(runtime, both, survivor, "no")
    _answer(runtime, both, merged, "yes")
    token = _answer(runtime, only_merged, merged, "yes")[1]
    _apply(runtime, trial_id, merged, T0)
    with transaction(runtime.factory) as session:
        merge_id = merging.merge(session, survivor, merged, SYSTEM).id
    assert _check_in(runtime, only_merged, token).customer_id == survivor  # the ticket survives the merge
    with runtime.factory() as session:
        assert activities.rsvp_of(session, both, survivor).answer == "no"  # the survivor's own answer stands
        assert activities.rsvp_of(session, only_merged, survivor).answer == "yes"
        assert activities.application_of(session, trial_id, survivor) is not None
        assert hooks.exporters["loyalty_activities"](session, survivor)["trials"][0]["trial_id"] == trial_id
    with transaction(runtime.factory) as session:
        merging.unmerge(session, merge_id, SYSTEM)
    with runtime.factory() as session:
        assert activities.rsvp_of(session, only_merged, merged).answer == "yes"
        assert activities.rsvp_of(session, only_merged, survivor) is None
        assert activities.application_of(session, trial_id, merged) is not None


def test_more_places_move_the_waitlist_up_and_fewer_than_taken_are_refused(runtime, member):
    people = [member() for _ in range(4)]
    event_id = _event(runtime, capacity=1, waitlist=True)
    for i, cid in enumerate(people):
        _answer(runtime, event_id, cid, now=T0 + i * dt.timedelta(minutes=1))
    with transaction(runtime.factory) as session:
        activities.update_event(session, event_id, capacity=3)
    with transaction(runtime.factory) as session:
        assert [r.answer for r in activities.rsvps(session, event_id)] == ["yes", "yes", "yes", "waitlist"]
        with pytest.raises(Conflict, match="3 members already said yes"):
            activities.update_event(session, event_id, capacity=2)
