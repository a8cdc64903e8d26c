"""The worker's care jobs and `guanxi care run-triggers --date`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from guanxi.care import campaigns, jobs, template_store
from guanxi.care.campaigns import CampaignSpec
from guanxi.db import transaction, utcnow
from guanxi.scheduler.registry import CORE_JOB_MODULES, JOBS, load_job_modules
from guanxi.staff.roles import SYSTEM
from guanxi.worker import JobContext


def _birthday_campaign(runtime) -> int:
    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="bday", channel="email", locale="zh-CN",
                                     subject="生日快乐", body="{{ customer.first_name }}，生日快乐")
        row = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name="生日关怀", channels=["email"], variants=[{"name": "A", "template": "bday", "weight": 1}],
            trigger="birthday"))
        campaigns.set_status(session, SYSTEM, row.id, "active")
        return row.id


def test_jobs_are_registered():
    load_job_modules()
    assert "guanxi.care.jobs" in CORE_JOB_MODULES
    assert JOBS["care.drain_outbox"].every == "minutely" and JOBS["care.run_triggers"].every == "hourly"


def test_trigger_and_drain_jobs(runtime, smtp, person, monkeypatch):
    monkeypatch.setenv("GUANXI_CARE_QUIET_HOURS", "00:00-00:00")
    today = utcnow().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).date()
    person("王小明", birthday=f"--{today:%m-%d}" if (today.month, today.day) != (2, 29) else "2000-02-29")
    cid = _birthday_campaign(runtime)
    ctx = JobContext(runtime.factory, runtime.settings, utcnow(), "worker-1", period="p")
    assert jobs.run_care_triggers(ctx) == {"campaigns": 1, "queued": 1, "chosen": 1}
    assert jobs.run_care_triggers(ctx)["queued"] == 0
    report = jobs.drain_outbox(ctx)
    assert report["sent"] == 1 and len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "生日快乐"
    assert cid


def test_cli_run_triggers_for_a_date(runtime, person):
    from guanxi.cli import _register, app

    _register()
    person("李雷", birthday="1990-10-01")
    cid = _birthday_campaign(runtime)
    runner = CliRunner()
    result = runner.invoke(app, ["care", "run-triggers", "--date", "2026-10-01", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[str(cid)]["queued"] == 1
    again = runner.invoke(app, ["care", "run-triggers", "--date", "2026-10-01", "--json"])
    assert json.loads(again.output)[str(cid)] == {"chosen": 0, "queued": 0, "control": 0, "repeated": 1, "skipped": {}}
    listed = runner.invoke(app, ["care", "campaigns", "--json"])
    assert json.loads(listed.output)[0]["outbox"]["queued"] == 1
    bad = runner.invoke(app, ["care", "run-triggers", "--date", "1 Oct"])
    assert bad.exit_code != 0
