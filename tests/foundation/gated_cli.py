"""Run `guanxi ARGS` once a gate file appears: `python gated_cli.py GATE ARGS...`.

It touches GATE.<pid>.ready when it is waiting. Python, Guanxi and every job module are imported
before the wait, so processes released by one gate reach the command itself within milliseconds of
each other — "started at the same time" for real.

With GATED_CLAIM_LOG set, each job claim appends "<job> <won> <ISO time it returned>" to that file:
a test can then tell exactly when a worker asked for a job, not just when the process ended.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import guanxi.cli
import guanxi.worker  # noqa: F401  (imported ahead: the worker command imports it lazily)
from guanxi.scheduler import leases
from guanxi.scheduler.registry import load_job_modules


def _record_claims(path: str) -> None:
    claim = leases.claim_job_run

    def recorded(factory, job, period, owner, lease):
        run = claim(factory, job, period, owner, lease)
        with open(path, "a") as fh:
            fh.write(f"{job} {run is not None} {dt.datetime.now(dt.UTC).isoformat()}\n")
        return run

    leases.claim_job_run = recorded  # the worker calls it through the module: observed, not changed


if __name__ == "__main__":
    guanxi.cli._register()
    load_job_modules(json.loads(os.environ.get("GUANXI_JOB_MODULES", "[]")))
    if os.environ.get("GATED_CLAIM_LOG"):
        _record_claims(os.environ["GATED_CLAIM_LOG"])
    gate = Path(sys.argv[1])
    Path(f"{gate}.{os.getpid()}.ready").touch()  # imports done: waiting at the gate
    deadline = time.monotonic() + 60
    while not gate.exists():
        if time.monotonic() > deadline:
            sys.exit("the gate never opened")
        time.sleep(0.002)
    sys.argv = ["guanxi", *sys.argv[2:]]
    guanxi.cli.main()
