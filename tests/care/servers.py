"""Real servers on loopback for the channel tests: SMTP (aiosmtpd) and HTTP, both able to fail on demand."""

from __future__ import annotations

import email
import json
import socket
import threading
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Keeps every message; `fail_next` answers that many DATA commands with a 451 (try again later)."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.fail_next = 0
        self.reject_rcpt: set[str] = set()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject_rcpt:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next > 0:
            self.fail_next -= 1
            return "451 4.3.0 try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class HttpRecorder:
    """Records each request (path, headers, JSON body); answers `replies` in turn, then 200 {"id": ...}."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                entry = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                         "raw": raw, "json": json.loads(raw) if raw else None}
                recorder.requests.append(entry)
                status, body = recorder.replies.pop(0) if recorder.replies else (
                    200, {"id": f"p-{len(recorder.requests)}", "errcode": 0, "msgid": 1000 + len(recorder.requests)})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> HttpRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
