"""Claiming a (job, period) or a queued task under a lease that expires if its worker dies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from guanxi.db import transaction, utcnow
from guanxi.scheduler.models import JobRun, Task


def claim_job_run(factory: sessionmaker[Session], job: str, period: str, owner: str,
                  lease: dt.timedelta) -> JobRun | None:
    """Take (job, period) for `owner`, or None when it is done or leased by a live worker.

    The unique (job, period) row makes the first claim exclusive on every backend; a row
    whose lease has run out is taken over by a conditional UPDATE that only one worker wins.
    """
    now = utcnow()
    try:
        with transaction(factory) as session:
            run = JobRun(job=job, period=period, owner=owner, lease_until=now + lease, started_at=now)
            session.add(run)
        return run
    except IntegrityError:
        pass
    with transaction(factory) as session:
        result = session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.period == period,
                   JobRun.status.in_(("running", "failed")), JobRun.lease_until < now)
            .values(owner=owner, lease_until=now + lease, attempts=JobRun.attempts + 1,
                    status="running", error=None)
        )
        if result.rowcount != 1:
            return None
        return session.scalar(select(JobRun).where(JobRun.job == job, JobRun.period == period))


def renew_job_run(factory: sessionmaker[Session], run_id: int, owner: str, lease: dt.timedelta) -> bool:
    with transaction(factory) as session:
        result = session.execute(
            update(JobRun).where(JobRun.id == run_id, JobRun.owner == owner, JobRun.status == "running")
            .values(lease_until=utcnow() + lease)
        )
        return result.rowcount == 1


def finish_job_run(factory: sessionmaker[Session], run_id: int, owner: str, *, result: dict | None = None,
                   error: str | None = None, retry_after: dt.timedelta = dt.timedelta(minutes=5)) -> bool:
    """Mark done (or failed, retried once its short lease ends). False if the lease was lost."""
    values: dict = {"finished_at": utcnow(), "result": result}
    if error is None:
        values["status"] = "done"
    else:
        values.update(status="failed", error=error[:4000], lease_until=utcnow() + retry_after)
    with transaction(factory) as session:
        res = session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.owner == owner).values(**values))
        return res.rowcount == 1


def enqueue(session: Session, kind: str, payload: dict, *, created_by: str | None = None,
            total: int | None = None) -> Task:
    task = Task(kind=kind, payload=payload, created_by=created_by, progress_total=total)
    session.add(task)
    session.flush()
    return task


def claim_task(factory: sessionmaker[Session], owner: str, lease: dt.timedelta,
               kinds: list[str] | None = None, max_attempts: int = 3) -> Task | None:
    now = utcnow()
    with transaction(factory) as session:
        stmt = select(Task.id).where(
            (Task.status == "queued") | ((Task.status == "running") & (Task.lease_until < now)),
            Task.attempts < max_attempts,
        )
        if kinds:
            stmt = stmt.where(Task.kind.in_(kinds))
        candidates = list(session.scalars(stmt.order_by(Task.id).limit(5)))
    for task_id in candidates:
        with transaction(factory) as session:
            result = session.execute(
                update(Task)
                .where(Task.id == task_id,
                       (Task.status == "queued") | ((Task.status == "running") & (Task.lease_until < now)))
                .values(status="running", owner=owner, lease_until=now + lease,
                        attempts=Task.attempts + 1, started_at=now)
            )
            if result.rowcount == 1:
                return session.get(Task, task_id)
    return None


def update_task(factory: sessionmaker[Session], task_id: int, owner: str, **values) -> bool:
    with transaction(factory) as session:
        res = session.execute(update(Task).where(Task.id == task_id, Task.owner == owner).values(**values))
        return res.rowcount == 1
