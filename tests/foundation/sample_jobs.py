"""A job for the worker tests, loaded with GUANXI_JOB_MODULES='["tests.foundation.sample_jobs"]'.

It appends "<pid> <period>" to the file named by WITNESS_FILE, so a test can count who ran it,
then sleeps WITNESS_SECONDS so that competing workers overlap with it.
"""

from __future__ import annotations

import os
import time

from guanxi.scheduler.registry import job


@job("test.witness", every="daily")
def witness(ctx) -> dict:
    with open(os.environ["WITNESS_FILE"], "a") as fh:
        fh.write(f"{os.getpid()} {ctx.period}\n")
    time.sleep(float(os.environ.get("WITNESS_SECONDS", "1.5")))
    return {"pid": os.getpid()}
