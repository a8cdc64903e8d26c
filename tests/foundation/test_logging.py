"""Logs are structured, carry the request id, and never hold personal data."""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
import time

import httpx
import pytest

from guanxi.logs import setup_logging

from .subprocesses import GUANXI, subprocess_env

EMAIL = "li.na@example.com"
PHONES = ["+8613800138000", "13800138000", "138 0013 8000", "138-0013-8000"]
PERSONAL = [EMAIL, *PHONES]

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def captured_logs():
    """Install the application's logging into a buffer; restore pytest's handlers after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()

    def install(fmt: str = "json") -> io.StringIO:
        real_stderr, sys.stderr = sys.stderr, buffer
        try:
            setup_logging("INFO", fmt)  # binds its handler to sys.stderr as it is now: the buffer
        finally:
            sys.stderr = real_stderr
        return buffer

    yield install
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    logging.getLogger("uvicorn.access").disabled = False


def _assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text, f"{value!r} leaked into the logs:\n{text}"


def test_requests_with_personal_data_leave_none_in_the_logs(client, probe_routes, auth, captured_logs):
    out = captured_logs("json")
    admin = auth("admin")
    rid = "log-check-1"
    client.get("/api/v1/audit", headers={**admin, "X-Request-Id": rid},
               params={"by": f"user:{EMAIL}", "subject_id": PHONES[0]})
    client.post("/api/v1/auth/login", json={"email": EMAIL, "password": "wrong-password"},
                headers={"X-Request-Id": "log-check-2"})
    client.post("/api/v1/staff", headers=admin, json={"email": EMAIL, "password": PHONES[1], "role": "service",
                                                      "name": "Li Na " + PHONES[2]})
    client.get(f"/api/v1/_lookup/{EMAIL}/{PHONES[1]}", headers={"X-Request-Id": "log-check-3"})
    client.get("/api/v1/_probe/boom", headers={"X-Request-Id": "log-check-4"})
    log = logging.getLogger("guanxi.customers")
    log.info("matched customer %s by phone %s", EMAIL, PHONES[3])
    log.warning("contact %s", {"email": EMAIL, "phone": PHONES[0]}, extra={"path": f"/x/{EMAIL}"})
    try:
        raise ValueError(f"no customer with e-mail {EMAIL}")
    except ValueError:
        log.exception("lookup failed")

    text = out.getvalue()
    _assert_no_personal_data(text)
    entries = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    by_rid = {}
    for entry in entries:
        by_rid.setdefault(entry["request_id"], []).append(entry)
    assert any(e.get("path") == "/api/v1/audit" and e["status"] == 200 for e in by_rid[rid])
    assert any(e.get("status") == 401 for e in by_rid["log-check-2"])
    assert [e["path"] for e in by_rid["log-check-3"]] == ["/api/v1/_lookup/[email]/[phone]"]
    boom = by_rid["log-check-4"]
    assert any(e["msg"].startswith("unhandled error") and "exc" in e for e in boom), boom
    assert any(e["msg"] == "lookup failed" and "[email]" in e["exc"] for e in entries)
    assert any(e["msg"] == "matched customer [email] by phone [phone]" for e in entries)


def test_text_logs_are_scrubbed_too(client, captured_logs):
    out = captured_logs("text")
    client.get(f"/api/v1/_lookup/{EMAIL}", headers={"X-Request-Id": "text-1"})
    logging.getLogger("guanxi.care").info("sent to %s and %s", EMAIL, PHONES[0])
    text = out.getvalue()
    _assert_no_personal_data(text)
    assert "[text-1]" in text and "sent to [email] and [phone]" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_served_instance_keeps_personal_data_out_of_its_logs(settings, make_token):
    """`guanxi serve` as a real process: uvicorn's own logs go through the same scrubbing."""
    token = make_token("admin")
    port = _free_port()
    proc = subprocess.Popen([str(GUANXI), "serve", "--port", str(port)], env=subprocess_env(GUANXI_LOG_FORMAT="json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # generous: start-up is slow on a loaded CI machine
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "guanxi serve did not come up"
            time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}", "X-Request-Id": "served-1"}
        reply = httpx.get(f"{base}/api/v1/audit", params={"by": f"user:{EMAIL}", "q": PHONES[0]}, headers=headers)
        assert reply.status_code == 200 and reply.headers["x-request-id"] == "served-1"
        httpx.post(f"{base}/api/v1/auth/login", json={"email": EMAIL, "password": PHONES[1]})
        httpx.get(f"{base}/api/v1/_lookup/{EMAIL}")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    _assert_no_personal_data(err)
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(e["request_id"] == "served-1" and e.get("path") == "/api/v1/audit" for e in entries), err
