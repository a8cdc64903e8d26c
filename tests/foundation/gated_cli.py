"""Run `guanxi ARGS` once a gate file appears: `python gated_cli.py GATE ARGS...`.

It touches GATE.<pid>.ready when it is waiting.

Python and Guanxi are imported before the wait, so processes released by one gate reach the
command itself within milliseconds of each other — "started at the same time" for real.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import guanxi.cli
import guanxi.worker  # noqa: F401  (imported ahead: the worker command imports it lazily)

guanxi.cli._register()

if __name__ == "__main__":
    gate = Path(sys.argv[1])
    Path(f"{gate}.{os.getpid()}.ready").touch()  # imports done: waiting at the gate
    deadline = time.monotonic() + 60
    while not gate.exists():
        if time.monotonic() > deadline:
            sys.exit("the gate never opened")
        time.sleep(0.002)
    sys.argv = ["guanxi", *sys.argv[2:]]
    guanxi.cli.main()
