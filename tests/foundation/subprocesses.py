"""Running `guanxi` and helper scripts in real subprocesses, with the test's settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
GUANXI = Path(sys.executable).with_name("guanxi")


def subprocess_env(**overrides: str | None) -> dict[str, str]:
    """The test's environment (GUANXI_* as the `settings` fixture set them) plus overrides; None removes."""
    env = dict(os.environ)
    path = [str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]  # the repo root: `tests.foundation...`
    env.update(PYTHONPATH=os.pathsep.join(path), COLUMNS="200", NO_COLOR="1")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def last_line(text_: str) -> str:
    lines = [line for line in text_.splitlines() if line.strip()]
    return lines[-1] if lines else ""
