"""Loyalty's small read functions for care's triggers: tier upgrades, lots expiring, membership starts."""

from __future__ import annotations

import datetime as dt

from guanxi.customers import normalise, profiles
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import transaction, utcnow
from guanxi.loyalty import catalogue, membership, points, store, tiers
from guanxi.staff.roles import SYSTEM

DAY = dt.timedelta(days=1)


def _people(runtime, n):
    with transaction(runtime.factory) as session:
        return [profiles.upsert_customer(session, runtime.cipher, PersonIn(
            identities=[IdentityKey("email", "", normalise.email(f"feed{i}-{id(session)}@loyalty.example"))]))[0]
            for i in range(n)]


def test_upgrades_between_lists_steps_up_only(runtime):
    a, b = _people(runtime, 2)
    before = utcnow()
    with transaction(runtime.factory) as session:
        catalogue.put_tier(session, code="silver", name="Silver", rank=1)
        catalogue.put_tier(session, code="gold", name="Gold", rank=2)
        tiers.assign(session, a, "silver", before + DAY, SYSTEM)
        tiers.assign(session, b, "gold", before + DAY, SYSTEM)
        tiers.assign(session, b, "silver", before + DAY, SYSTEM)   # down: not listed
        tiers.assign(session, a, "gold", before + DAY, SYSTEM)
    with runtime.factory() as session:
        got = [(cid, tier) for cid, tier, _ in tiers.upgrades_between(session, before - DAY, utcnow() + DAY)]
        assert sorted(got) == sorted([(a, "silver"), (b, "gold"), (a, "gold")])
        assert tiers.upgrades_between(session, utcnow() + DAY, utcnow() + 2 * DAY) == []


def test_lots_expiring_between_and_member_since(runtime):
    a, b, c = _people(runtime, 3)
    t = dt.datetime(2025, 3, 1, 4, 0, tzinfo=dt.UTC)
    with transaction(runtime.factory) as session:
        points.adjust(session, a, 100, "gift", "x1", SYSTEM, now=t)
        points.adjust(session, b, 100, "gift", "x2", SYSTEM, now=t + 40 * DAY)
        membership.put_plan(session, code="plus", name="Plus", period_months=1, price_minor=1500, currency="CNY",
                            trial_days=7)
        membership.start_trial(session, a, "plus", now=t)
        membership.start_trial(session, c, "plus", now=t)
        membership.cancel(session, c, now=t + DAY)
    with runtime.factory() as session:
        expires = store.open_lots(session, a)[0].expires_at
        assert list(store.lots_expiring_between(session, expires - 10 * DAY, expires)) == [a]
        assert store.lots_expiring_between(session, expires, expires + 10 * DAY) == {}   # (since, until]
        assert membership.member_since(session) == {a: t}
