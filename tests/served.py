"""A real Guanxi server process for tests that need one (browser tests, a second server on one database)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.web.mailbox import free_port


@contextmanager
def guanxi_server(env: dict[str, str], cwd: Path, log_path: Path, *, start_timeout: float = 30) -> Iterator[str]:
    """`uvicorn guanxi.app:serve_app` on a free loopback port; yields its base URL once /healthz answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "guanxi.app:serve_app", "--factory",
                                 "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log,
                                cwd=cwd)
        try:
            wait_until_up(base, proc, log_path, start_timeout)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_until_up(base: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not start within {timeout:.0f}s:\n{log.read_text()}")
