"""Live segment membership on SQLite and PostgreSQL: incremental refresh equals a brute-force evaluation."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from guanxi.analytics import membership, reports, segment_rules
from guanxi.analytics.models import CustomerScore, SegmentChange
from guanxi.customers import analytics_feed as feed
from guanxi.customers import profiles
from guanxi.customers.events import EventIn, record_events
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.records import IdentityKey, OrderIn, PersonIn
from guanxi.db import transaction

PEOPLE = 6
CITIES = ["上海", "北京", None]
RULES = [
    {"field": "city", "op": "=", "value": "上海"},
    {"all": [{"field": "segment", "op": "in", "value": ["champions", "loyal"]},
             {"any": [{"field": "channel", "op": "!=", "value": "site"}, {"field": "clv", "op": ">=", "value": 500}]}]},
    {"any": [{"field": "gender", "op": "=", "value": "female"}, {"field": "orders", "op": ">", "value": 2}]},
    {"field": "lifecycle_stage", "op": "not_in", "value": ["churned"]},
]
T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def person(n: int, **fields) -> PersonIn:
    return PersonIn([IdentityKey("external", "shop", f"m{n}")], **fields)


def _setup(runtime) -> list[int]:
    with transaction(runtime.factory) as session:
        ids = [profiles.upsert_customer(session, runtime.cipher, person(n, city=CITIES[n % 3],
                                                                        acquisition_channel="site"))[0]
               for n in range(PEOPLE)]
        for n, cid in enumerate(ids):
            session.add(CustomerScore(customer_id=cid, segment=["champions", "loyal", "hibernating"][n % 3],
                                      clv_minor=100 * n, orders=n % 4, window_orders=0, window_spend_minor=0,
                                      lifecycle_stage=["active", "churned"][n % 2], period="2026-06-01"))
        session.flush()
        for i, rule in enumerate(RULES):
            row = reports.create_segment(session, f"s{i}", rule, "test")
            membership.sync_segment(session, row.id, segment_rules.parse(rule), cause="created", now=T0)
    return ids


def brute_force(session) -> dict[int, set[int]]:
    """Every segment's members by evaluating its rule in Python over every customer's values."""
    profile, cols = feed.profile_columns()
    values = {cid: {"city": city, "channel": ch, "gender": g}
              for cid, city, ch, g in session.execute(select(profile.c.customer_id, *cols.values()))}
    for score in session.scalars(select(CustomerScore)):
        values.setdefault(score.customer_id, {}).update(
            {f: getattr(score, c.key) for f, c in reports.SCORE_COLUMNS.items()})
    scored = set(session.scalars(select(CustomerScore.customer_id)))
    return {sid: {cid for cid in scored if segment_rules.matches(rule, values[cid])}
            for sid, rule in membership.dynamic_segments(session)}


def replayed(session) -> dict[int, set[int]]:
    """Members as the entry and exit events tell it."""
    out: dict[int, set[int]] = {sid: set() for sid, _ in membership.dynamic_segments(session)}
    for c in session.scalars(select(SegmentChange).order_by(SegmentChange.id)):
        (out[c.segment_id].add if c.kind == "entered" else out[c.segment_id].discard)(c.customer_id)
    return out


def stored(session) -> dict[int, set[int]]:
    return {sid: membership.members(session, sid) for sid, _ in membership.dynamic_segments(session)}


ops = st.lists(st.one_of(
    st.tuples(st.just("profile"), st.integers(0, PEOPLE - 1), st.sampled_from(["city", "acquisition_channel", "gender"]),
              st.sampled_from(["上海", "北京", "site", "wechat", "female", "male"])),
    st.tuples(st.just("order"), st.integers(0, PEOPLE - 1), st.sampled_from(["paid", "cancelled"])),
    st.tuples(st.just("event"), st.integers(0, PEOPLE - 1)),
    st.tuples(st.just("upsert"), st.integers(0, PEOPLE + 2), st.sampled_from(CITIES)),
), min_size=1, max_size=6)


def test_incremental_membership_equals_brute_force(runtime):
    ids = _setup(runtime)
    counter = [0]

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ops)
    def run(sequence):
        for op in sequence:
            counter[0] += 1
            with transaction(runtime.factory) as session:
                if op[0] == "profile":
                    profiles.update_profile(session, runtime.cipher, ids[op[1]], {op[2]: op[3]})
                elif op[0] == "order":
                    ingest_orders(session, runtime.cipher, [OrderIn(
                        source="shop", external_id=f"o{counter[0] % 5}", person=person(op[1]), status=op[2],
                        placed_at=T0, currency="CNY", total_minor=1000, lines=[])])
                elif op[0] == "event":
                    record_events(session, runtime.cipher, [EventIn("page_view", T0, customer_id=ids[op[1]])])
                else:
                    profiles.upsert_customer(session, runtime.cipher, person(op[1], city=op[2]))
            with runtime.factory() as session:
                truth = brute_force(session)
                assert stored(session) == truth, op
                assert replayed(session) == truth
        with transaction(runtime.factory) as session:  # nothing left for the safety net, twice over
            assert membership.rebuild(session) == {"segments": len(RULES), "entered": 0, "left": 0}

    run()


def test_rebuild_catches_score_changes_and_is_idempotent(runtime):
    ids = _setup(runtime)
    with transaction(runtime.factory) as session:  # what a recompute does: rewrite scores, no hook
        session.execute(update(CustomerScore).values(segment="champions", lifecycle_stage="churned", orders=0))
    later = T0 + dt.timedelta(days=1)
    with transaction(runtime.factory) as session:
        result = membership.rebuild(session, now=later)
        assert result["entered"] > 0 and result["left"] > 0
        assert stored(session) == brute_force(session) == replayed(session)
    with transaction(runtime.factory) as session:
        assert membership.rebuild(session, now=later) == {"segments": len(RULES), "entered": 0, "left": 0}
        seg = next(sid for sid, rule in membership.dynamic_segments(session)
                   if segment_rules.fields_used(rule) == {"lifecycle_stage"})
        assert membership.entered_since(session, seg, later) == []
        assert membership.left_since(session, seg, later) == [(cid, later) for cid in sorted(ids[0::2])]
        assert {c for c, _ in membership.entered_since(session, seg, T0)} == set(ids[0::2])
        line = profiles.timeline(session, ids[0])
        assert [e["kind"] for e in line if e["domain"] == "segments"][:1] == ["segment_left"]


def test_snapshot_is_frozen(runtime):
    ids = _setup(runtime)
    with transaction(runtime.factory) as session:
        city = next(sid for sid, rule in membership.dynamic_segments(session) if rule == segment_rules.parse(RULES[0]))
        frozen = membership.snapshot(session, city, "shanghai on day one", "test")
        assert frozen.kind == "static" and frozen.snapshot_of == city
        before = membership.members(session, frozen.id)
        assert before == membership.members(session, city) == {ids[0], ids[3]}
    with transaction(runtime.factory) as session:
        profiles.update_profile(session, runtime.cipher, ids[1], {"city": "上海"})
        profiles.update_profile(session, runtime.cipher, ids[0], {"city": "北京"})
    with transaction(runtime.factory) as session:
        membership.rebuild(session)
        assert membership.members(session, frozen.id) == before
        assert membership.members(session, city) == {ids[1], ids[3]}
        assert [sid for sid, _ in membership.dynamic_segments(session)].count(frozen.id) == 0


def test_rebuild_job_is_registered_and_reruns_cleanly(runtime):
    from types import SimpleNamespace

    from guanxi.analytics import jobs  # noqa: F401  (registers the jobs)
    from guanxi.scheduler.registry import JOBS

    ids = _setup(runtime)
    with transaction(runtime.factory) as session:  # a score change the live hook never saw
        session.execute(update(CustomerScore).where(CustomerScore.customer_id == ids[1])
                        .values(lifecycle_stage="active"))
    spec = JOBS["analytics.rebuild_segments"]
    assert spec.every == "daily"
    ctx = SimpleNamespace(factory=runtime.factory, settings=runtime.settings, now=T0 + dt.timedelta(days=1))
    assert spec.func(ctx) == {"segments": len(RULES), "entered": 1, "left": 0}
    assert spec.func(ctx) == {"segments": len(RULES), "entered": 0, "left": 0}
    with runtime.factory() as session:
        assert stored(session) == brute_force(session) == replayed(session)


def test_export_carries_and_erasure_removes_memberships(runtime):
    from guanxi.analytics import person_hooks  # noqa: F401  (registers the hooks)
    from guanxi.customers import privacy_hooks  # noqa: F401
    from guanxi.privacy import requests
    from guanxi.staff.roles import SYSTEM

    ids = _setup(runtime)
    person = ids[0]  # 上海, champions, active: in the city segment and the not-churned one
    with transaction(runtime.factory) as session:
        mine = requests.export(session, runtime.cipher, person, SYSTEM)["domains"]["analytics"]
    assert {(c["segment"], c["kind"]) for c in mine["segment_changes"]} >= {("s0", "entered"), ("s3", "entered")}
    with transaction(runtime.factory) as session:
        requests.erase(session, runtime.cipher, person, SYSTEM)
    with runtime.factory() as session:
        assert not any(person in m for m in stored(session).values())
        assert not session.scalars(select(SegmentChange).where(SegmentChange.customer_id == person)).all()
        assert {ids[3]} <= stored(session)[min(stored(session))]  # the others stay


def test_the_recompute_job_moves_members_with_the_new_scores(runtime):
    from types import SimpleNamespace

    from guanxi.analytics import jobs  # noqa: F401  (registers the jobs)
    from guanxi.scheduler.registry import JOBS
    from tests.analytics.shop import seed_shop

    seed_shop(runtime, customers=20)
    with transaction(runtime.factory) as session:
        row = reports.create_segment(session, "buyers", {"field": "orders", "op": ">=", "value": 1}, "test")
        membership.sync_segment(session, row.id, segment_rules.parse(row.rule), cause="created")
        assert membership.members(session, row.id) == set()  # no scores yet
    ctx = SimpleNamespace(factory=runtime.factory, settings=runtime.settings,
                          now=dt.datetime(2026, 6, 30, 20, tzinfo=dt.UTC))
    result = JOBS["analytics.recompute"].func(ctx)
    assert result["segment_changes"]["entered"] == 20 and result["segment_changes"]["left"] == 0
    with runtime.factory() as session:
        assert stored(session) == brute_force(session) == replayed(session)
