"""The purchase log read as arrays (what the recompute reads) against the row-by-row feed, and the fast
RFM-only recompute, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select, update

from guanxi.analytics.models import CustomerScore, ScoreRun, SegmentSnapshot
from guanxi.analytics.recompute import recompute
from guanxi.analytics.scoring import score_customers
from guanxi.customers import analytics_feed as feed
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.models import Customer, Order
from guanxi.customers.records import IdentityKey, OrderIn, PersonIn
from guanxi.db import transaction
from tests.analytics.shop import AS_OF, seed_shop

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def _person(name: str) -> PersonIn:
    return PersonIn([IdentityKey("external", "shop", name)])


def _order(name: str, key: str, placed_at: dt.datetime, total: int, *, status: str = "paid",
           currency: str = "CNY") -> OrderIn:
    return OrderIn(source="shop", external_id=key, person=_person(name), placed_at=placed_at, currency=currency,
                   total_minor=total, status=status)


def _log_rows(log) -> list[tuple[int, dt.date, int]]:
    return sorted(zip(log.customer_ids.tolist(), log.days.astype(object).tolist(), log.amount_minor.tolist()))


def _feed_rows(session, timezone: str) -> list[tuple[int, dt.date, int]]:
    return sorted((r.customer_id, r.day, r.amount_minor)
                  for r in feed.purchases(session, timezone=timezone, currency="CNY"))


@pytest.fixture
def edge_shop(runtime) -> dict[str, int]:
    """Orders on both sides of Shanghai's midnight (16:00 UTC), every status, another currency, a
    partial refund, a customer with only old orders, a merged customer and a prospect."""
    orders = [
        _order("a", "a1", dt.datetime(2026, 6, 29, 15, 59, 59, tzinfo=UTC), 1000),      # 23:59:59 on the 29th
        _order("a", "a2", dt.datetime(2026, 6, 29, 16, 0, 0, tzinfo=UTC), 2000),        # 00:00 on the 30th
        _order("a", "a3", dt.datetime(2026, 6, 30, 15, 59, 59, 900000, tzinfo=UTC), 3000),  # 23:59:59.9 on the 30th
        _order("a", "a4", dt.datetime(2026, 6, 30, 16, 0, 0, tzinfo=UTC), 9000),        # 1 July: after AS_OF
        _order("b", "b1", dt.datetime(2026, 3, 1, 4, tzinfo=UTC), 5000, status="cancelled"),
        _order("b", "b2", dt.datetime(2026, 3, 2, 4, tzinfo=UTC), 5000, status="refunded"),
        _order("b", "b3", dt.datetime(2026, 3, 3, 4, tzinfo=UTC), 5000, status="pending"),
        _order("b", "b4", dt.datetime(2026, 3, 4, 4, tzinfo=UTC), 6000, status="partially_refunded"),
        _order("b", "b5", dt.datetime(2026, 3, 5, 4, tzinfo=UTC), 7000, currency="USD"),
        _order("c", "c1", dt.datetime(2024, 1, 10, 4, tzinfo=UTC), 4000),  # outside the 365-day window
        _order("c", "c2", dt.datetime(2024, 2, 10, 4, tzinfo=UTC), 4500),
        _order("m", "m1", dt.datetime(2026, 5, 1, 4, tzinfo=UTC), 8000),
    ]
    from guanxi.customers import profiles

    with transaction(runtime.factory) as session:
        results = ingest_orders(session, runtime.cipher, orders)
        ids = {o.person.identities[0].value: r.customer_id for o, r in zip(orders, results)}
        ids["p"], _ = profiles.upsert_customer(session, runtime.cipher, _person("p"))
        session.execute(update(Order).where(Order.external_id == "b4").values(refunded_minor=2500))
        session.execute(update(Customer).where(Customer.id == ids["m"]).values(status="merged"))
    return ids


def test_purchase_log_matches_the_row_feed(runtime, edge_shop):
    ids = edge_shop
    with runtime.factory() as session:
        log = feed.purchase_log(session, timezone="Asia/Shanghai", currency="CNY")
        assert _log_rows(log) == _feed_rows(session, "Asia/Shanghai")
        assert _log_rows(log) == sorted([
            (ids["a"], dt.date(2026, 6, 29), 1000), (ids["a"], dt.date(2026, 6, 30), 2000),
            (ids["a"], dt.date(2026, 6, 30), 3000), (ids["a"], dt.date(2026, 7, 1), 9000),
            (ids["b"], dt.date(2026, 3, 4), 3500),  # cancelled, refunded, pending and USD left out
            (ids["c"], dt.date(2024, 1, 10), 4000), (ids["c"], dt.date(2024, 2, 10), 4500)])  # merged m left out
        # Another time zone moves the same instants to other days.
        la = feed.purchase_log(session, timezone="America/Los_Angeles", currency="CNY")
        assert _log_rows(la) == _feed_rows(session, "America/Los_Angeles")
        assert (ids["a"], dt.date(2026, 6, 30), 9000) in _log_rows(la)


def test_local_days_follow_daylight_saving():
    tz = ZoneInfo("America/New_York")
    instants = [dt.datetime(2026, 3, 8, 4, 59, 59, tzinfo=UTC), dt.datetime(2026, 3, 8, 5, tzinfo=UTC),
                dt.datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC), dt.datetime(2026, 3, 9, 4, tzinfo=UTC),  # after the jump
                dt.datetime(2026, 11, 1, 3, 59, 59, tzinfo=UTC), dt.datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC),
                dt.datetime(2026, 11, 2, 5, tzinfo=UTC), dt.datetime(1999, 12, 31, 23, tzinfo=UTC)]
    epoch = np.array([int(t.timestamp()) for t in instants], dtype=np.int64)
    got = feed.local_days(epoch, "America/New_York").astype(object).tolist()
    assert got == [t.astimezone(tz).date() for t in instants]
    assert got[:4] == [dt.date(2026, 3, 7), dt.date(2026, 3, 8), dt.date(2026, 3, 8), dt.date(2026, 3, 9)]
    assert len(feed.local_days(np.empty(0, dtype=np.int64), "Asia/Shanghai")) == 0


def test_recompute_stores_what_the_array_scoring_of_the_row_feed_gives(runtime, edge_shop):
    seed_shop(runtime, customers=40)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF, models=False)
    with runtime.factory() as session:
        rows = _feed_rows(session, runtime.settings.default_timezone)
        expected = score_customers([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], as_of=AS_OF,
                                   rfm_window_days=runtime.settings.rfm_window_days, models=False)
        stored = {r.customer_id: r for r in session.scalars(select(CustomerScore))}
        live = set(session.scalars(select(Customer.id).where(Customer.status == "active")))
    assert set(stored) == live
    for i, cid in enumerate(expected.customer_ids.tolist()):
        row = stored[cid]
        scored = expected.r[i] > 0
        assert (row.recency_score, row.frequency_score, row.monetary_score) == (
            (int(expected.r[i]), int(expected.f[i]), int(expected.m[i])) if scored else (None, None, None))
        assert row.segment == expected.segment[i]
        assert (row.recency_days, row.orders, row.window_orders, row.window_spend_minor, row.lifecycle_stage) == (
            int(expected.recency_days[i]), int(expected.purchase_days[i]), int(expected.frequency[i]),
            int(expected.monetary[i]), expected.stage[i])
    ids = edge_shop
    a, c = stored[ids["a"]], stored[ids["c"]]
    assert (a.recency_days, a.orders, a.window_orders, a.window_spend_minor) == (0, 2, 3, 6000)  # 1 July not yet
    assert c.segment is None and c.recency_score is None and c.window_orders == 0 and c.orders == 2
    assert stored[ids["p"]].lifecycle_stage == "prospect" and stored[ids["p"]].orders == 0
    assert ids["m"] not in stored


def test_rfm_only_recompute_keeps_the_last_model_figures(runtime):
    seed_shop(runtime)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)
    later = AS_OF + dt.timedelta(days=1)
    model_cols = ("p_alive", "expected_purchases", "clv_minor", "churn_risk")
    with runtime.factory() as session:
        before = {r.customer_id: tuple(getattr(r, c) for c in model_cols) for r in session.scalars(select(CustomerScore))}
        full = session.scalar(select(ScoreRun).where(ScoreRun.period == AS_OF.isoformat())).summary
    assert any(v[0] is not None for v in before.values())
    with transaction(runtime.factory) as session:
        result = recompute(session, runtime.settings, as_of=later, models=False)
    assert result["models"] is False and result["models_as_of"] == AS_OF.isoformat()
    with runtime.factory() as session:
        after = {r.customer_id: (tuple(getattr(r, c) for c in model_cols), r.period)
                 for r in session.scalars(select(CustomerScore))}
        run = session.scalar(select(ScoreRun).where(ScoreRun.period == later.isoformat())).summary
        months = session.scalars(select(SegmentSnapshot.month).distinct()).all()
    assert {cid: v for cid, (v, _) in after.items()} == before
    assert {p for _, p in after.values()} == {later.isoformat()}
    assert run["bgnbd"] == full["bgnbd"] and run["clv"] == full["clv"] and run["models"] is False
    assert sorted(months) == [AS_OF.strftime("%Y-%m"), later.strftime("%Y-%m")]  # one snapshot a month


def test_the_rfm_only_command_moves_segment_members(runtime):
    import json

    from typer.testing import CliRunner

    from guanxi.analytics import reports
    from guanxi.analytics.membership import members
    from guanxi.cli import _register, app

    seed_shop(runtime, customers=25)
    with transaction(runtime.factory) as session:
        seg = reports.create_segment(session, "scored", {"field": "orders", "op": ">=", "value": 1}, "t").id
    _register()
    reply = CliRunner().invoke(app, ["analytics", "recompute", "--as-of", AS_OF.isoformat(), "--rfm-only", "--json"])
    assert reply.exit_code == 0, reply.output
    out = json.loads(reply.output.strip().splitlines()[-1])
    assert out["models"] is False and out["customers"] == 27 and out["bgnbd"] is None
    with runtime.factory() as session:
        buyers = set(session.scalars(select(CustomerScore.customer_id).where(CustomerScore.orders >= 1)))
        assert len(buyers) == 25 and members(session, seg) == buyers
        assert session.scalar(select(CustomerScore.p_alive).limit(1)) is None  # no full recompute yet
    assert out["segment_changes"] == {"segments": 1, "entered": 25, "left": 0}
