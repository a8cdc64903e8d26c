"""Acceptance: real `guanxi worker --once` processes run a period exactly once, and take over a dead worker's job.

The job is tests/foundation/sample_jobs.py (`test.witness`), loaded through GUANXI_JOB_MODULES; it writes
its pid to a witness file, so the file says who ran it and how often.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from guanxi.db import make_engine, make_sessionmaker, utcnow
from guanxi.scheduler.models import JobRun

from .subprocesses import GUANXI, subprocess_env

GATED = Path(__file__).with_name("gated_cli.py")
WORKER = ["worker", "--once", "--only", "test.witness"]


def _clear_of_midnight(margin: float = 30) -> None:
    """The job is daily: a test that straddles 00:00 UTC would see two periods. Wait it out."""
    now = dt.datetime.now(dt.UTC)
    left = 86400 - (now.hour * 3600 + now.minute * 60 + now.second + now.microsecond / 1e6)
    if left < margin:
        time.sleep(left + 1)


def _env(witness: Path, *, seconds: float, lease: int = 60) -> dict[str, str]:
    return subprocess_env(GUANXI_JOB_MODULES='["tests.foundation.sample_jobs"]', GUANXI_WORKER_LEASE_SECONDS=str(lease),
                          WITNESS_FILE=str(witness), WITNESS_SECONDS=str(seconds))


def _gated(gate: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(GATED), str(gate), *WORKER], env=env, cwd=gate.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_ready(gate: Path, procs: list[subprocess.Popen], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not all(Path(f"{gate}.{p.pid}.ready").exists() for p in procs):
        for p in procs:
            assert p.poll() is None, f"a gated worker died before the gate: {p.communicate()}"
        assert time.monotonic() < deadline, "gated workers never got ready"
        time.sleep(0.02)


def _witnesses(path: Path) -> list[int]:
    return [int(line.split()[0]) for line in path.read_text().splitlines()] if path.exists() else []


def _runs(url: str) -> list[JobRun]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.scalars(select(JobRun).where(JobRun.job == "test.witness")))
    finally:
        engine.dispose()


def test_two_workers_started_together_run_the_period_once(database_url, settings, tmp_path):
    _clear_of_midnight()
    witness, gate = tmp_path / "witness.txt", tmp_path / "gate"
    workers = [_gated(gate, _env(witness, seconds=1.0)) for _ in range(2)]
    _wait_ready(gate, workers)
    gate.touch()
    results = [w.communicate(timeout=60) for w in workers]
    for w, (out, err) in zip(workers, results):
        assert w.returncode == 0, err

    ran = _witnesses(witness)
    assert len(ran) == 1, f"the job ran {len(ran)} times: {ran}"
    assert ran[0] in {w.pid for w in workers}
    [run] = _runs(database_url)
    assert (run.status, run.attempts, run.period) == ("done", 1, utcnow().strftime("%Y-%m-%d"))
    assert f":{ran[0]}:" in run.owner
    assert run.result == {"pid": ran[0]}


def test_a_killed_workers_job_is_taken_over_only_after_its_lease(database_url, settings, tmp_path):
    _clear_of_midnight()
    witness, gate = tmp_path / "witness.txt", tmp_path / "gate"
    # The early worker waits, imported and ready, so it can try the moment the first one is dead.
    claims = tmp_path / "claims.txt"
    early = _gated(gate, {**_env(witness, seconds=0.2, lease=2), "GATED_CLAIM_LOG": str(claims)})
    first = subprocess.Popen([str(GUANXI), *WORKER], env=_env(witness, seconds=120, lease=2), cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while _witnesses(witness) != [first.pid]:
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.05)
        _wait_ready(gate, [early])
        [claimed] = _runs(database_url)
        time.sleep(1)  # the heartbeat renews a 2 s lease every ~0.7 s while the job runs
        [renewed] = _runs(database_url)
        assert renewed.lease_until > claimed.lease_until, "the running job's lease was not renewed"
        deadline = time.monotonic() + 10
        while _runs(database_url)[0].lease_until == renewed.lease_until:
            assert time.monotonic() < deadline, "the heartbeat stopped renewing the lease"
            time.sleep(0.01)  # kill just after a renewal: the early worker then has ~2 s to try
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.communicate()

    [run] = _runs(database_url)
    assert (run.status, run.attempts) == ("running", 1) and f":{first.pid}:" in run.owner
    lease_until = run.lease_until
    assert lease_until > utcnow(), "the lease should still be running right after the kill"

    gate.touch()
    _, err = early.communicate(timeout=30)
    assert early.returncode == 0, err
    [(job, won, asked_at)] = [line.split() for line in claims.read_text().splitlines()]
    assert (job, won) == ("test.witness", "False")
    assert dt.datetime.fromisoformat(asked_at) < lease_until, "premise broken: the early worker asked too late"
    assert _witnesses(witness) == [first.pid], "a worker ran a job whose lease had not expired"
    [run] = _runs(database_url)
    assert (run.status, run.attempts, run.lease_until) == ("running", 1, lease_until)

    while utcnow() <= lease_until + dt.timedelta(milliseconds=100):
        time.sleep(0.05)
    late = subprocess.Popen([str(GUANXI), *WORKER], env=_env(witness, seconds=0.2, lease=2), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = late.communicate(timeout=60)
    assert late.returncode == 0, err
    assert _witnesses(witness) == [first.pid, late.pid]
    [run] = _runs(database_url)
    assert (run.status, run.attempts, run.error) == ("done", 2, None)
    assert f":{late.pid}:" in run.owner and run.finished_at is not None
