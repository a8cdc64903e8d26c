"""The background worker: runs each due (job, period) once and drains the task queue."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from guanxi.config import Settings
from guanxi.db import utcnow
from guanxi.scheduler import leases
from guanxi.scheduler.registry import JOBS, TASK_HANDLERS, JobSpec, load_job_modules, period_of

log = logging.getLogger("guanxi.worker")


@dataclass
class JobContext:
    """What a job or task handler receives: the database, settings, and its period or payload."""

    factory: sessionmaker[Session]
    settings: Settings
    now: dt.datetime
    owner: str
    period: str | None = None
    task_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def progress(self, done: int, total: int | None = None) -> None:
        if self.task_id is not None:
            values = {"progress_done": done}
            if total is not None:
                values["progress_total"] = total
            leases.update_task(self.factory, self.task_id, self.owner, **values)


class _Heartbeat:
    """Renews a lease in the background while a long job runs."""

    def __init__(self, renew, interval: float):
        self._renew, self._interval = renew, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._renew():
                    return
            except Exception:  # a missed renewal only shortens the lease
                log.exception("lease renewal failed")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)


class Worker:
    def __init__(self, factory: sessionmaker[Session], settings: Settings, *, only: list[str] | None = None):
        self.factory = factory
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"
        self.lease = dt.timedelta(seconds=settings.worker_lease_seconds)
        self.only = set(only or [])
        self._stopping = threading.Event()
        load_job_modules(settings.job_modules)

    def stop(self, *_args) -> None:
        self._stopping.set()

    def _selected(self, name: str) -> bool:
        return not self.only or name in self.only

    def run_due_jobs(self, now: dt.datetime | None = None) -> list[str]:
        """Run every job whose current period has not run yet. Returns the (job, period) keys run."""
        ran = []
        for spec in list(JOBS.values()):
            if self._stopping.is_set():
                break
            if self._selected(spec.name) and self.run_job(spec, now or utcnow()):
                ran.append(spec.name)
        return ran

    def run_job(self, spec: JobSpec, now: dt.datetime) -> bool:
        period = period_of(spec.every, now)
        run = leases.claim_job_run(self.factory, spec.name, period, self.owner, self.lease)
        if run is None:
            return False
        log.info("job %s period %s started", spec.name, period, extra={"job": spec.name})
        ctx = JobContext(self.factory, self.settings, now, self.owner, period=period)
        renew = lambda: leases.renew_job_run(self.factory, run.id, self.owner, self.lease)  # noqa: E731
        with _Heartbeat(renew, self.lease.total_seconds() / 3):
            try:
                result = spec.func(ctx)
            except Exception as exc:
                log.exception("job %s period %s failed", spec.name, period, extra={"job": spec.name})
                leases.finish_job_run(self.factory, run.id, self.owner, error=f"{exc!r}\n{traceback.format_exc()}")
                return True
        leases.finish_job_run(self.factory, run.id, self.owner, result=result)
        log.info("job %s period %s done", spec.name, period, extra={"job": spec.name})
        return True

    def drain_tasks(self, limit: int | None = None) -> int:
        done = 0
        kinds = [k for k in TASK_HANDLERS if self._selected(k)]
        if not kinds:  # claim_task reads no kinds as "any kind": this worker could not run them
            return 0
        while not self._stopping.is_set() and (limit is None or done < limit):
            task = leases.claim_task(self.factory, self.owner, self.lease, kinds=kinds)
            if task is None:
                break
            ctx = JobContext(self.factory, self.settings, utcnow(), self.owner,
                             task_id=task.id, payload=task.payload or {})
            renew = lambda t=task: leases.update_task(  # noqa: E731
                self.factory, t.id, self.owner, lease_until=utcnow() + self.lease)
            with _Heartbeat(renew, self.lease.total_seconds() / 3):
                try:
                    result = TASK_HANDLERS[task.kind](ctx)
                    leases.update_task(self.factory, task.id, self.owner, status="done",
                                       result=result, finished_at=utcnow())
                except Exception as exc:
                    log.exception("task %s (%s) failed", task.id, task.kind)
                    leases.update_task(self.factory, task.id, self.owner, status="failed",
                                       error=str(exc)[:4000], finished_at=utcnow())
            done += 1
        return done

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("worker %s started with jobs: %s", self.owner, ", ".join(sorted(JOBS)) or "none")
        while not self._stopping.is_set():
            try:
                self.run_due_jobs()
                self.drain_tasks()
            except Exception:
                log.exception("worker pass failed; retrying")
            self._stopping.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.owner)

    def run_once(self) -> None:
        self.run_due_jobs()
        self.drain_tasks()


