"""The member's points summary (GET /api/v1/customers/{id}/points): the expiring part, summed by the database."""

from __future__ import annotations

import datetime as dt

from guanxi.customers import normalise, profiles
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import transaction
from guanxi.loyalty import expiry, points, store
from guanxi.staff.roles import SYSTEM

DAY = dt.timedelta(days=1)
T = dt.datetime(2025, 3, 1, 4, 0, tzinfo=dt.UTC)


def _member(runtime, label):
    with transaction(runtime.factory) as session:
        return profiles.upsert_customer(session, runtime.cipher, PersonIn(
            identities=[IdentityKey("email", "", normalise.email(f"{label}@summary.example"))]))[0]


def test_expiring_sums_open_lots_per_instant_inside_the_window(runtime):
    cid = _member(runtime, "sum")
    with transaction(runtime.factory) as session:
        for key, pts, when in [("a", 100, T), ("b", 30, T + 2 * 3600 * dt.timedelta(seconds=1)),  # same local day
                               ("c", 70, T + 3 * DAY), ("d", 40, T + 29 * DAY), ("e", 60, T + 45 * DAY)]:
            points.adjust(session, cid, pts, "gift", key, SYSTEM, now=when)
        points.redeem(session, cid, "r1", points=110, now=T + 46 * DAY)   # the soonest lots first: a, then 10 of b
    with runtime.factory() as session:
        lots = store.open_lots(session, cid)
        instants = sorted({lot.expires_at for lot in lots})
        assert len(instants) == 4 and all(i.tzinfo is not None for i in instants)
        first, second, third, last = instants
        now = first - DAY
        got = points.summary(session, cid, now=now)["expiring"]
        assert got == expiry.expiring_soon(lots, now, 30)             # what the lots say, summed in Python
        assert got == [{"points": 20, "expires_at": first}, {"points": 70, "expires_at": second},
                       {"points": 40, "expires_at": third}]              # 29 days on: still inside 30
        at_the_first = points.summary(session, cid, now=first, days=30)["expiring"]   # that instant: gone already
        assert at_the_first == [{"points": 70, "expires_at": second}, {"points": 40, "expires_at": third}]
        edge = points.summary(session, cid, now=last - 30 * DAY, days=30)["expiring"]  # the horizon is inclusive
        assert edge[-1] == {"points": 60, "expires_at": last}
        assert points.summary(session, cid, now=last, days=30)["expiring"] == []


def test_a_member_without_points_has_an_empty_summary(runtime):
    cid = _member(runtime, "none")
    with runtime.factory() as session:
        got = points.summary(session, cid, now=T)
    assert (got["available"], got["pending"], got["locked"], got["debt"], got["expiring"]) == (0, 0, 0, 0, [])


def test_the_reads_of_pending_lots_and_of_a_members_expiring_points_use_their_indexes(runtime):
    """The partial index of pending lots (0004i) serves the reads of pending lots; SQLite re-plans a
    statement for the bound value when a partial index may apply. PostgreSQL chooses plans by its
    statistics, so there the index itself is checked: partial on pending lots, the old one gone."""
    from sqlalchemy import func, select, text

    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.connect() as conn:
            defs = {name: d for name, d in conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'loyalty_lots'"))}
        assert "WHERE" in defs["ix_loyalty_lots_pending"] and "'pending'" in defs["ix_loyalty_lots_pending"]
        assert "ix_loyalty_lots_state_expires" not in defs and "ix_loyalty_lots_customer_id" in defs
        return

    from guanxi.loyalty.models import PointLot

    def plan(stmt):
        with runtime.engine.connect() as conn:
            compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
            params = [compiled.params[name] for name in compiled.positiontup]
            return " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}",
                                                                         tuple(params)))

    assert "ix_loyalty_lots_pending" in plan(select(PointLot.id).where(PointLot.state == "pending"))
    assert "ix_loyalty_lots_pending" in plan(select(func.sum(PointLot.remaining))
                                             .where(PointLot.customer_id == 1, PointLot.state == "pending"))
    assert "ix_loyalty_lots_customer_id" in plan(store._EXPIRING.params(cid=1, now=T, horizon=T + DAY))
