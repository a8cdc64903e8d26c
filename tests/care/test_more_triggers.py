"""The newer triggers on SQLite and PostgreSQL with a fixed clock: chosen once per period, left out
when the condition is not met, params checked when the campaign is saved."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from guanxi.analytics.models import CustomerScore
from guanxi.care import campaigns, template_store, triggers
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.models import OutboxMessage, Recipient
from guanxi.care.outbox import message_text
from guanxi.customers.events import EventIn, record_events
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.models import Customer
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.db import transaction, utcnow
from guanxi.errors import Invalid
from guanxi.loyalty import catalogue, membership, points, tiers
from guanxi.loyalty.models import PointLot
from guanxi.service import tickets
from guanxi.service.settings import ServiceSettings
from guanxi.staff.roles import SYSTEM

UTC = dt.UTC
D = dt.date
DAY = dt.timedelta(days=1)
_seq = itertools.count(1)


@pytest.fixture
def care(runtime, care_settings):
    class Care:
        def template(self, name="greet", body="{{ occasion.key }} {{ occasion.date }} {{ offer.code }} {{ offer.points }}"):
            with transaction(runtime.factory) as session:
                template_store.save_template(session, SYSTEM, name=name, channel="email", locale="zh-CN",
                                             subject="您好", body=body)

        def campaign(self, trigger, params=None, **kw) -> int:
            with transaction(runtime.factory) as session:
                row = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
                    name=trigger, channels=["email"], variants=[{"name": "A", "template": "greet", "weight": 1}],
                    trigger=trigger, params=params or {}, **kw))
                campaigns.set_status(session, SYSTEM, row.id, "active")
                return row.id

        def run(self, cid, now=None, today=None):
            return triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret,
                                         care_settings, now=now or utcnow(), today=today, campaign_id=cid)[cid]

        def periods(self, cid):
            with runtime.factory() as session:
                return sorted(session.execute(select(Recipient.customer_id, Recipient.period)
                                              .where(Recipient.campaign_id == cid)).all())

        def bodies(self, cid):
            with runtime.factory() as session:
                msgs = session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_id == cid)
                                       .order_by(OutboxMessage.id))
                return [(m.customer_id, message_text(runtime.cipher, m)[1]) for m in msgs]

        def buy(self, email, placed_at, sku="TEA-01", total_minor=10000):
            with transaction(runtime.factory) as session:
                [result] = ingest_orders(session, runtime.cipher, [OrderIn(
                    source="shop", external_id=f"M{next(_seq)}", placed_at=placed_at, currency="CNY",
                    person=PersonIn(identities=[IdentityKey("email", "", email)]), total_minor=total_minor,
                    lines=[LineIn(sku=sku, quantity=1, unit_price_minor=total_minor)])])
            return result.id

    c = Care()
    c.template()
    return c


def _counts(report):
    return report["chosen"], report["queued"], report["repeated"]


def test_tier_upgrade_once_per_tier_and_never_for_a_downgrade(runtime, care, person):
    up, down, still = person(), person(), person()
    now = utcnow()  # the clock of this test: the audit trail (append-only) stamps real time
    with transaction(runtime.factory) as session:
        catalogue.put_tier(session, code="silver", name="Silver", rank=1)
        catalogue.put_tier(session, code="gold", name="Gold", rank=2)
        tiers.assign(session, up, "silver", now + 30 * DAY, SYSTEM)
        tiers.assign(session, down, "gold", now + 30 * DAY, SYSTEM)
    with transaction(runtime.factory) as session:
        tiers.assign(session, up, "gold", now + 30 * DAY, SYSTEM)
        tiers.assign(session, down, "silver", now + 30 * DAY, SYSTEM)   # a step down: no message
    cid = care.campaign("tier_upgrade")
    assert _counts(care.run(cid, now=now + dt.timedelta(minutes=5))) == (3, 3, 0)
    assert _counts(care.run(cid, now=now + dt.timedelta(hours=2))) == (0, 0, 3)
    assert _counts(care.run(cid, now=now + 10 * DAY)) == (0, 0, 0)
    rows = care.periods(cid)
    assert [(who, p.rsplit(":", 1)[0]) for who, p in rows] == [(up, "tier:gold"), (up, "tier:silver"), (down, "tier:gold")]
    assert still not in {who for who, _ in rows}
    assert care.bodies(cid)[0][1].startswith("tier_upgrade ")


def test_points_expiring_once_per_expiry_date(runtime, care, person):
    soon, later = person(), person()
    earned = dt.datetime(2025, 1, 10, 4, 0, tzinfo=UTC)
    with transaction(runtime.factory) as session:
        points.adjust(session, soon, 300, "gift", "k1", SYSTEM, now=earned)
        points.adjust(session, later, 300, "gift", "k2", SYSTEM, now=earned + 60 * DAY)
    with runtime.factory() as session:
        expires = session.scalar(select(PointLot.expires_at).where(PointLot.customer_id == soon))
    cid = care.campaign("points_expiring", {"days": 7})
    assert _counts(care.run(cid, now=expires - 10 * DAY)) == (0, 0, 0)
    assert _counts(care.run(cid, now=expires - 5 * DAY)) == (1, 1, 0)
    assert _counts(care.run(cid, now=expires - 4 * DAY)) == (0, 0, 1)
    assert _counts(care.run(cid, now=expires + DAY)) == (0, 0, 0)       # expired: nothing left to remind of
    last_day = (expires.astimezone(dt.timezone(dt.timedelta(hours=8))) - DAY).date()
    assert care.periods(cid) == [(soon, f"points:{last_day.isoformat()}")]
    assert care.bodies(cid) == [(soon, f"points_expiring {last_day.isoformat()}  0")]


def test_abandoned_cart_without_an_order_within_hours(runtime, care, person):
    left, bought, browsing = (person(email=f"cart{i}@care.example") for i in range(3))
    t = dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    with transaction(runtime.factory) as session:
        record_events(session, runtime.cipher, [
            EventIn(kind="add_to_cart", occurred_at=t, customer_id=left),
            EventIn(kind="add_to_cart", occurred_at=t, customer_id=bought),
            EventIn(kind="add_to_cart", occurred_at=t, customer_id=browsing),
            EventIn(kind="checkout_started", occurred_at=t + dt.timedelta(hours=4, minutes=30), customer_id=browsing),
            EventIn(kind="page_view", occurred_at=t, customer_id=person())])
    care.buy("cart1@care.example", t + dt.timedelta(hours=1))
    cid = care.campaign("abandoned_cart", {"hours": 4})
    assert _counts(care.run(cid, now=t + dt.timedelta(hours=3))) == (0, 0, 0)
    assert _counts(care.run(cid, now=t + dt.timedelta(hours=5))) == (1, 1, 0)   # browsing is still shopping
    assert _counts(care.run(cid, now=t + dt.timedelta(hours=9))) == (1, 1, 1)   # now browsing's cart is cold
    assert _counts(care.run(cid, now=t + dt.timedelta(hours=10))) == (0, 0, 2)
    assert [who for who, _ in care.periods(cid)] == [left, browsing]
    assert all(p.startswith("cart:") for _, p in care.periods(cid))


def test_ticket_resolved_follow_up_after_days_unless_reopened(runtime, care, person):
    happy, reopened = person(), person()
    cfg = ServiceSettings(_env_file=None)
    resolved = dt.datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
    with transaction(runtime.factory) as session:
        ids = []
        for who in (happy, reopened):
            ticket, _ = tickets.create(session, cfg, tickets.TicketIn(subject="坏了", body="杯子碎了", customer_id=who),
                                       "customer", now=resolved - DAY)
            tickets.move(session, cfg, ticket, "resolved", "agent", now=resolved)
            ids.append(ticket.id)
        tickets.move(session, cfg, tickets.get(session, ids[1]), "open", "agent", now=resolved + DAY)
    cid = care.campaign("ticket_resolved", {"days": 2}, purpose="service")
    assert _counts(care.run(cid, now=resolved + DAY)) == (0, 0, 0)
    assert _counts(care.run(cid, now=resolved + 2 * DAY)) == (1, 1, 0)
    assert _counts(care.run(cid, now=resolved + 2 * DAY + dt.timedelta(hours=3))) == (0, 0, 1)
    assert care.periods(cid) == [(happy, f"ticket:{ids[0]}")]


def test_anniversaries_yearly_with_29_february(runtime, care, person):
    leap, wed, buyer, member = (person(email=f"ann{i}@care.example") for i in range(4))
    with transaction(runtime.factory) as session:
        session.get(Customer, leap).acquired_at = dt.datetime(2024, 2, 29, 4, 0, tzinfo=UTC)
        session.get(Customer, wed).attributes = {"wedding": "2019-06-01", "pet": "cat"}
        membership.put_plan(session, code="plus", name="Plus", period_months=12, price_minor=9900, currency="CNY",
                            trial_days=30)
        membership.start_trial(session, member, "plus", now=dt.datetime(2025, 7, 1, 4, 0, tzinfo=UTC))
    care.buy("ann2@care.example", dt.datetime(2025, 5, 10, 4, 0, tzinfo=UTC))

    signup = care.campaign("anniversary", {"field": "signup"})
    assert _counts(care.run(signup, today=D(2025, 2, 28))) == (1, 1, 0)
    assert _counts(care.run(signup, today=D(2025, 2, 28))) == (0, 0, 1)
    assert _counts(care.run(signup, today=D(2025, 3, 1))) == (0, 0, 0)
    assert _counts(care.run(signup, today=D(2028, 2, 28))) == (0, 0, 0)   # a leap year has its own 29th
    assert _counts(care.run(signup, today=D(2028, 2, 29))) == (1, 1, 0)
    assert care.periods(signup) == [(leap, "anniversary:signup:2025"), (leap, "anniversary:signup:2028")]

    wedding = care.campaign("anniversary", {"field": "attributes.wedding", "days_before": 2})
    assert _counts(care.run(wedding, today=D(2026, 6, 1))) == (0, 0, 0)
    assert _counts(care.run(wedding, today=D(2026, 5, 30))) == (1, 1, 0)
    assert care.periods(wedding) == [(wed, "anniversary:attributes.wedding:2026")]

    first = care.campaign("anniversary", {"field": "first_order"})
    assert _counts(care.run(first, today=D(2025, 5, 10))) == (0, 0, 0)   # not in the year of the first order
    assert _counts(care.run(first, today=D(2026, 5, 10))) == (1, 1, 0)
    assert care.periods(first) == [(buyer, "anniversary:first_order:2026")]

    member_day = care.campaign("anniversary", {"field": "membership"})
    assert _counts(care.run(member_day, today=D(2026, 7, 1))) == (1, 1, 0)
    assert care.periods(member_day) == [(member, "anniversary:membership:2026")]


def test_refill_reminder_from_the_shops_rebuy_interval(runtime, care, person):
    a, b, once = (person(email=f"refill{i}@care.example") for i in range(3))
    noon = dt.time(4, 0, tzinfo=UTC)  # midday in Shanghai

    def on(day):
        return dt.datetime.combine(day, noon)

    for day in (D(2026, 1, 1), D(2026, 1, 31)):
        care.buy("refill0@care.example", on(day), sku="BEANS")
    last_a = care.buy("refill0@care.example", on(D(2026, 3, 2)), sku="BEANS")       # gaps 30, 30
    care.buy("refill1@care.example", on(D(2026, 1, 5)), sku="BEANS")
    last_b = care.buy("refill1@care.example", on(D(2026, 2, 4)), sku="BEANS")       # gap 30
    care.buy("refill0@care.example", on(D(2026, 1, 2)), sku="MUG")
    care.buy("refill0@care.example", on(D(2026, 2, 2)), sku="MUG")                  # one MUG repeat: too few
    last_once = care.buy("refill2@care.example", on(D(2026, 3, 1)), sku="BEANS")     # interval 30: due 31 March
    cid = care.campaign("refill", {"days_before": 3, "min_repeats": 3})
    assert _counts(care.run(cid, today=D(2026, 3, 2))) == (0, 0, 0)
    assert _counts(care.run(cid, today=D(2026, 3, 3))) == (1, 1, 0)      # b: 4 Feb + 30 - 3
    assert _counts(care.run(cid, today=D(2026, 3, 28))) == (1, 1, 0)     # once: 1 Mar + 30 - 3
    assert _counts(care.run(cid, today=D(2026, 3, 29))) == (1, 1, 1)     # a: 2 Mar + 30 - 3
    assert _counts(care.run(cid, today=D(2026, 3, 30))) == (0, 0, 2)
    assert care.periods(cid) == [(a, f"refill:BEANS:{last_a}"), (b, f"refill:BEANS:{last_b}"),
                                 (once, f"refill:BEANS:{last_once}")]
    assert care.bodies(cid)[0] == (b, "refill 2026-03-06  0")
    strict = care.campaign("refill", {"days_before": 3, "min_repeats": 4})
    assert _counts(care.run(strict, today=D(2026, 3, 29))) == (0, 0, 0)


def test_churn_risk_once_a_month(runtime, care, person):
    risky, fine, fading = person(), person(), person()
    with transaction(runtime.factory) as session:
        for who, risk, alive in ((risky, 0.9, 0.5), (fine, 0.5, 0.9), (fading, None, 0.1)):
            session.add(CustomerScore(customer_id=who, churn_risk=risk, p_alive=alive, lifecycle_stage="active",
                                      period="2026-05-01"))
    cid = care.campaign("churn_risk", {"threshold": 70})
    assert _counts(care.run(cid, today=D(2026, 5, 3))) == (1, 1, 0)
    assert _counts(care.run(cid, today=D(2026, 5, 20))) == (0, 0, 1)
    assert _counts(care.run(cid, today=D(2026, 6, 1))) == (1, 1, 0)
    assert care.periods(cid) == [(risky, "churn:2026-05"), (risky, "churn:2026-06")]
    alive = care.campaign("churn_risk", {"threshold": 20, "measure": "p_alive"})
    assert _counts(care.run(alive, today=D(2026, 5, 3))) == (1, 1, 0)
    assert care.periods(alive) == [(fading, "churn:2026-05")]


LADDER = [{"days": 90, "offer": {"kind": "coupon_code", "code": "WB5", "percent": 5}},
          {"days": 120, "offer": {"kind": "coupon_code", "code": "WB10", "percent": 10}},
          {"days": 150, "offer": {"kind": "bundle", "offers": [{"kind": "coupon_code", "code": "WB20", "percent": 20},
                                                                 {"kind": "points", "points": 500}]}}]


def test_winback_ladder_escalates_each_step_once_per_lapse(runtime, care, person):
    a, b = person(email="wb0@care.example"), person(email="wb1@care.example")
    last = dt.datetime(2026, 1, 1, 4, 0, tzinfo=UTC)
    care.buy("wb0@care.example", last)
    care.buy("wb1@care.example", last)
    cid = care.campaign("winback_ladder", {"offers": LADDER})
    assert _counts(care.run(cid, now=last + 89 * DAY)) == (0, 0, 0)
    assert _counts(care.run(cid, now=last + 90 * DAY)) == (2, 2, 0)
    assert _counts(care.run(cid, now=last + 95 * DAY)) == (0, 0, 2)
    assert _counts(care.run(cid, now=last + 110 * DAY)) == (0, 0, 0)     # between steps
    assert _counts(care.run(cid, now=last + 121 * DAY)) == (2, 2, 0)
    assert _counts(care.run(cid, now=last + 150 * DAY)) == (2, 2, 0)
    assert _counts(care.run(cid, now=last + 200 * DAY)) == (0, 0, 0)     # past the last step
    bodies = [body.split()[-2:] for who, body in care.bodies(cid) if who == a]
    assert bodies == [["WB5", "0"], ["WB10", "0"], ["WB20", "500"]]
    assert [p for who, p in care.periods(cid) if who == b] == [
        "lapsed:2026-01-01:120", "lapsed:2026-01-01:150", "lapsed:2026-01-01:90"]
    # a new order starts a new lapse, and the ladder starts again at its first step
    care.buy("wb0@care.example", last + 160 * DAY)
    assert _counts(care.run(cid, now=last + 250 * DAY)) == (1, 1, 0)
    assert care.bodies(cid)[-1][1].split()[-2:] == ["WB5", "0"]


def test_winback_ladder_never_a_smaller_offer_after_a_bigger_one(runtime, care, person):
    a = person(email="wbx@care.example")
    last = dt.datetime(2026, 1, 1, 4, 0, tzinfo=UTC)
    care.buy("wbx@care.example", last)
    cid = care.campaign("winback_ladder", {"offers": LADDER})
    assert _counts(care.run(cid, now=last + 125 * DAY)) == (1, 1, 0)     # missed 90: straight to the 120 step
    with transaction(runtime.factory) as session:                        # edited mid-lapse: 5% at 119 days
        row = campaigns.get_campaign(session, cid)
        spec = CampaignSpec(name=row.name, channels=row.channels, variants=row.variants, trigger=row.trigger,
                            params={"offers": [{"days": 119, "offer": LADDER[0]["offer"]}, LADDER[2]]})
        campaigns.update_campaign(session, SYSTEM, cid, spec)
    assert _counts(care.run(cid, now=last + 126 * DAY)) == (0, 0, 0)     # 119 is an earlier step than the 120 sent
    assert care.periods(cid) == [(a, "lapsed:2026-01-01:120")]


@pytest.mark.parametrize(("trigger", "params", "param"), [
    ("anniversary", {}, "field"),
    ("anniversary", {"field": "birthday"}, "field"),
    ("churn_risk", {"measure": "clv"}, "measure"),
    ("winback_ladder", {}, "offers"),
    ("winback_ladder", {"offers": [LADDER[1], LADDER[0]]}, "offers"),
    ("winback_ladder", {"offers": [{"days": 90, "offer": {"kind": "gift_card"}}]}, "offers"),
])
def test_params_checked_when_the_campaign_is_saved(runtime, care, trigger, params, param):
    with transaction(runtime.factory) as session, pytest.raises(Invalid) as err:
        campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name="x", channels=["email"], variants=[{"template": "greet"}], trigger=trigger, params=params))
    assert err.value.errors[0]["loc"] == ["body", "params", param]
    assert param in err.value.detail


@pytest.mark.parametrize(("trigger", "params"), [("refill", {"min_repeats": 0}), ("abandoned_cart", {"hours": 500}),
                                                 ("churn_risk", {"threshold": 100}), ("tier_upgrade", {"nope": 1})])
def test_integer_params_checked_like_the_built_in_triggers(runtime, care, trigger, params):
    with transaction(runtime.factory) as session, pytest.raises(Invalid, match="min_repeats|hours|threshold|nope"):
        campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name="x", channels=["email"], variants=[{"template": "greet"}], trigger=trigger, params=params))


def test_api_answers_422_naming_the_param(client, make_token, care):
    headers = {"Authorization": f"Bearer {make_token('admin')}"}
    resp = client.post("/api/v1/care/campaigns", headers=headers, json={
        "name": "ann", "trigger": "anniversary", "params": {"field": "pet"}, "channels": ["email"],
        "variants": [{"template": "greet"}]})
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("application/problem+json")
    assert "field" in resp.json()["detail"]
    ok = client.post("/api/v1/care/campaigns", headers=headers, json={
        "name": "ann", "trigger": "anniversary", "params": {"field": "signup"}, "channels": ["email"],
        "variants": [{"template": "greet"}]})
    assert ok.status_code == 201, ok.text
