"""scheduler.leases: a (job, period) or a task belongs to one worker until its lease runs out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from guanxi.db import transaction, utcnow
from guanxi.scheduler import leases
from guanxi.scheduler.models import JobRun, Task
from guanxi.scheduler.registry import TASK_HANDLERS, period_of
from guanxi.worker import Worker

LEASE = dt.timedelta(minutes=1)


def _expire_job_lease(factory, run_id: int) -> None:
    with transaction(factory) as session:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(lease_until=utcnow() - dt.timedelta(seconds=1)))


def test_a_period_is_claimed_once(runtime):
    f = runtime.factory
    run = leases.claim_job_run(f, "demo", "2026-11-11", "w1", LEASE)
    assert run is not None and run.owner == "w1" and run.attempts == 1 and run.status == "running"
    assert leases.claim_job_run(f, "demo", "2026-11-11", "w2", LEASE) is None
    assert leases.claim_job_run(f, "demo", "2026-11-12", "w2", LEASE) is not None  # another period
    assert leases.claim_job_run(f, "other", "2026-11-11", "w2", LEASE) is not None  # another job


def test_an_expired_lease_is_taken_over_by_one_worker(runtime):
    f = runtime.factory
    run = leases.claim_job_run(f, "demo", "p", "w1", LEASE)
    _expire_job_lease(f, run.id)
    taken = leases.claim_job_run(f, "demo", "p", "w2", LEASE)
    assert taken is not None and taken.id == run.id and taken.owner == "w2" and taken.attempts == 2
    assert leases.claim_job_run(f, "demo", "p", "w3", LEASE) is None  # w2's lease is fresh
    # The dead owner comes back: it can neither renew nor finish what it lost.
    assert not leases.renew_job_run(f, run.id, "w1", LEASE)
    assert not leases.finish_job_run(f, run.id, "w1", result={"by": "w1"})
    assert leases.renew_job_run(f, run.id, "w2", LEASE)
    assert leases.finish_job_run(f, run.id, "w2", result={"by": "w2"})
    with f() as session:
        row = session.get(JobRun, run.id)
        assert (row.status, row.result, row.owner) == ("done", {"by": "w2"}, "w2")


def test_a_done_period_is_never_run_again(runtime):
    f = runtime.factory
    run = leases.claim_job_run(f, "demo", "p", "w1", LEASE)
    leases.finish_job_run(f, run.id, "w1", result={})
    _expire_job_lease(f, run.id)
    assert leases.claim_job_run(f, "demo", "p", "w2", LEASE) is None


def test_a_failed_period_is_retried_after_its_pause(runtime):
    f = runtime.factory
    run = leases.claim_job_run(f, "demo", "p", "w1", LEASE)
    assert leases.finish_job_run(f, run.id, "w1", error="boom")
    assert leases.claim_job_run(f, "demo", "p", "w2", LEASE) is None  # retried later, not at once
    _expire_job_lease(f, run.id)
    retry = leases.claim_job_run(f, "demo", "p", "w2", LEASE)
    assert retry is not None and retry.attempts == 2 and retry.error is None


def test_period_keys():
    at = dt.datetime(2026, 11, 11, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2)))  # 01:30 UTC next day
    assert period_of("daily", at) == "2026-11-12"
    assert period_of("hourly", at) == "2026-11-12T01"
    assert period_of("minutely", at) == "2026-11-12T01:30"


def _enqueue(factory, kind: str, **payload) -> int:
    with transaction(factory) as session:
        return leases.enqueue(session, kind, payload, created_by="test").id


def test_task_queue_claim_and_finish(runtime):
    f = runtime.factory
    first, second = _enqueue(f, "export", n=1), _enqueue(f, "export", n=2)
    _enqueue(f, "import", n=3)

    a = leases.claim_task(f, "w1", LEASE, kinds=["export"])
    b = leases.claim_task(f, "w2", LEASE, kinds=["export"])
    assert (a.id, a.owner, a.attempts, a.payload) == (first, "w1", 1, {"n": 1})
    assert (b.id, b.owner) == (second, "w2")
    assert leases.claim_task(f, "w3", LEASE, kinds=["export"]) is None  # both leased

    assert not leases.update_task(f, a.id, "w2", status="done")  # not w2's task
    assert leases.update_task(f, a.id, "w1", status="done", result={"rows": 10}, finished_at=utcnow())
    with f() as session:
        assert (session.get(Task, a.id).status, session.get(Task, a.id).result) == ("done", {"rows": 10})


def test_an_abandoned_task_is_reclaimed_until_its_attempts_run_out(runtime):
    f = runtime.factory
    task_id = _enqueue(f, "export")
    for attempt in (1, 2, 3):
        task = leases.claim_task(f, f"w{attempt}", dt.timedelta(seconds=-1), kinds=["export"])  # dies at once
        assert task is not None and task.id == task_id and task.attempts == attempt
    assert leases.claim_task(f, "w4", LEASE, kinds=["export"], max_attempts=3) is None


def test_a_worker_drains_only_the_kinds_it_can_handle(runtime, monkeypatch):
    f = runtime.factory
    handled = []
    monkeypatch.setitem(TASK_HANDLERS, "test.echo", lambda ctx: handled.append(ctx.payload) or {"ok": True})
    echo, foreign = _enqueue(f, "test.echo", n=1), _enqueue(f, "not.mine", n=2)

    assert Worker(f, runtime.settings, only=["some.job"]).drain_tasks() == 0  # no handler selected: takes nothing
    assert Worker(f, runtime.settings).drain_tasks() == 1
    assert handled == [{"n": 1}]
    with f() as session:
        assert (session.get(Task, echo).status, session.get(Task, echo).result) == ("done", {"ok": True})
        assert session.get(Task, foreign).status == "queued"  # left for a worker that knows the kind


def test_a_failing_task_is_marked_failed(runtime, monkeypatch):
    f = runtime.factory

    def explode(ctx):
        raise ValueError("bad row 7")

    monkeypatch.setitem(TASK_HANDLERS, "test.explode", explode)
    task_id = _enqueue(f, "test.explode")
    assert Worker(f, runtime.settings, only=["test.explode"]).drain_tasks() == 1
    with f() as session:
        task = session.get(Task, task_id)
        assert task.status == "failed" and "bad row 7" in task.error and task.finished_at is not None
