"""The bulk recompute, on SQLite and PostgreSQL: every live customer scored, idempotent per day."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

from sqlalchemy import func, select
from typer.testing import CliRunner

from guanxi.analytics.lifecycle import STAGES
from guanxi.analytics.models import CustomerScore, ScoreRun, SegmentSnapshot
from guanxi.analytics.recompute import recompute
from guanxi.analytics.rfm import SEGMENTS
from guanxi.cli import _register, app
from guanxi.db import transaction
from guanxi.scheduler.registry import CORE_JOB_MODULES, JOBS
from tests.analytics.shop import AS_OF, seed_shop


def _scores(runtime) -> dict[int, dict]:
    with runtime.factory() as session:
        rows = session.scalars(select(CustomerScore)).all()
        return {r.customer_id: {c.name: getattr(r, c.name) for c in CustomerScore.__table__.columns
                                if c.name != "computed_at"} for r in rows}


def test_recompute_scores_everyone_and_is_idempotent(runtime):
    ids = seed_shop(runtime)
    with transaction(runtime.factory) as session:
        first = recompute(session, runtime.settings, as_of=AS_OF)
    before = _scores(runtime)
    assert set(before) == set(ids.values())
    assert first["stages"]["prospect"] == 2
    prospect = before[ids[60]]
    assert prospect["lifecycle_stage"] == "prospect" and prospect["clv_minor"] is None
    buyers = [s for s in before.values() if s["orders"] > 0]
    assert all(s["lifecycle_stage"] in {st.value for st in STAGES} - {"prospect"} for s in buyers)
    assert all(0 <= s["p_alive"] <= 1 and 0 <= s["churn_risk"] <= 1 for s in buyers)
    if not first["churn"]["use_model"]:
        assert all(s["churn_risk"] == 1 - s["p_alive"] for s in buyers)
    assert all(s["clv_minor"] >= 0 and s["currency"] == "CNY" for s in buyers)
    assert all(s["segment"] in {seg.value for seg in SEGMENTS} for s in buyers if s["window_orders"])
    assert first["bgnbd"]["converged"]

    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)
    assert _scores(runtime) == before
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(ScoreRun)) == 1
        month = session.scalars(select(SegmentSnapshot.month).distinct()).all()
        assert month == ["2026-06"]


def test_clv_follows_the_settings(runtime):
    seed_shop(runtime)
    with transaction(runtime.factory) as session:
        recompute(session, runtime.settings, as_of=AS_OF)
    year = {k: v["clv_minor"] for k, v in _scores(runtime).items() if v["clv_minor"] is not None}
    half = runtime.settings.model_copy(update={"clv_horizon_months": 6, "clv_margin": 0.5})
    with transaction(runtime.factory) as session:
        recompute(session, half, as_of=AS_OF)
    short = {k: v["clv_minor"] for k, v in _scores(runtime).items() if v["clv_minor"] is not None}
    assert sum(short.values()) < 0.5 * sum(year.values())
    with runtime.factory() as session:
        summary = session.scalar(select(ScoreRun.summary))
    assert summary["clv_settings"] == {"horizon_months": 6, "annual_discount_rate": 0.1, "margin": 0.5}


def test_recompute_command_and_daily_job(runtime):
    seed_shop(runtime, customers=25)
    _register()
    reply = CliRunner().invoke(app, ["analytics", "recompute", "--as-of", AS_OF.isoformat(), "--json"])
    assert reply.exit_code == 0, reply.output
    assert json.loads(reply.output.strip().splitlines()[-1])["customers"] == 27
    import guanxi.analytics.jobs  # noqa: F401  (what load_job_modules imports for the worker)

    assert "guanxi.analytics.jobs" in CORE_JOB_MODULES
    assert JOBS["analytics.recompute"].every == "daily"
    ctx = SimpleNamespace(factory=runtime.factory, settings=runtime.settings,
                          now=dt.datetime(2026, 6, 30, 20, tzinfo=dt.UTC))  # 04:00 on 1 July in Shanghai
    assert JOBS["analytics.recompute"].func(ctx)["period"] == "2026-07-01"
    assert JOBS["analytics.recompute"].func(ctx)["customers"] == 27
