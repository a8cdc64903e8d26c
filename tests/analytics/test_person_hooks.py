"""Scores are profiling: a person's export carries them, an erasure removes them."""

from __future__ import annotations

from guanxi.analytics import person_hooks  # noqa: F401  (registers the hooks)
from guanxi.analytics.models import CustomerScore, SegmentSnapshot
from guanxi.analytics.recompute import recompute
from guanxi.customers import privacy_hooks  # noqa: F401
from guanxi.db import transaction
from guanxi.privacy import requests
from guanxi.staff.roles import SYSTEM
from tests.analytics.shop import AS_OF, seed_shop


def test_export_and_erasure_carry_the_scores(runtime):
    ids = seed_shop(runtime, customers=30)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)
    person = ids[1]
    with transaction(runtime.factory) as session:
        document = requests.export(session, runtime.cipher, person, SYSTEM)
    mine = document["domains"]["analytics"]
    assert mine["scores"]["lifecycle_stage"] and mine["segments_by_month"] in ([], [
        {"month": "2026-06", "segment": mine["scores"]["segment"]}])
    with transaction(runtime.factory) as session:
        requests.erase(session, runtime.cipher, person, SYSTEM)
    with runtime.factory() as session:
        assert session.get(CustomerScore, person) is None
        assert not session.query(SegmentSnapshot).filter_by(customer_id=person).count()
        assert session.query(CustomerScore).count() == 31  # everyone else keeps theirs


def test_a_merge_drops_the_merged_profiles_scores(runtime):
    from guanxi.customers import merging

    ids = seed_shop(runtime, customers=30)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)
    with transaction(runtime.factory) as session:
        merging.merge(session, ids[2], ids[3], SYSTEM)
    with runtime.factory() as session:
        assert session.get(CustomerScore, ids[3]) is None and session.get(CustomerScore, ids[2]) is not None
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)
    with runtime.factory() as session:
        assert session.get(CustomerScore, ids[3]) is None
        assert session.query(CustomerScore).count() == 31
