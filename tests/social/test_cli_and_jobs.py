"""The `guanxi social` commands and the scheduled jobs as the worker runs them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from guanxi.cli import _register, app
from guanxi.db import transaction
from guanxi.scheduler.registry import JOBS, load_job_modules
from guanxi.social.ingest import MentionIn, ingest

EVAL = Path(__file__).parent / "data" / "eval.jsonl"


def test_evaluate_prints_our_figures_and_the_baselines():
    _register()
    got = CliRunner().invoke(app, ["social", "evaluate", str(EVAL)])
    assert got.exit_code == 0, got.output
    line = next(x for x in got.output.splitlines() if x.startswith("{"))
    figures = json.loads(line)
    assert figures["ours"]["all"]["macro_f1"] > figures["baseline"]["all"]["macro_f1"]


def test_score_command():
    _register()
    got = CliRunner().invoke(app, ["social", "score", "Great seller, but it's a counterfeit"])
    assert got.exit_code == 0 and json.loads(got.output.strip().splitlines()[-1])["label"] == "negative"


def test_jobs_are_registered_and_hourly_detection_is_idempotent(runtime):
    load_job_modules()
    assert JOBS["social.detect_crises"].every == "hourly"
    assert {"social.poll_connectors", "social.link_authors"} <= set(JOBS)
    from guanxi.worker import JobContext

    now = dt.datetime.now(dt.UTC).replace(minute=5, second=0, microsecond=0)
    hour = now.replace(minute=0) - dt.timedelta(hours=1)
    with transaction(runtime.factory) as s:
        ingest(s, runtime.cipher, [MentionIn("weibo", f"k{i}", "post", f"假货！已经向315投诉 {i}", hour + dt.timedelta(minutes=i),
                                             author_followers=1_000_000) for i in range(3)])
    ctx = JobContext(runtime.factory, runtime.settings, now, "test")
    first = JOBS["social.detect_crises"].func(ctx)
    second = JOBS["social.detect_crises"].func(ctx)
    assert first["signal"] and first["opened"] and first["ticket_id"]
    assert second["crisis_id"] == first["crisis_id"] and not second["opened"]
    assert second["ticket_id"] == first["ticket_id"]
    assert JOBS["social.poll_connectors"].func(ctx) == {"polled": []}
    assert JOBS["social.link_authors"].func(ctx) == {"linked": 0}
