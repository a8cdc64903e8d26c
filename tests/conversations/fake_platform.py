"""A small real HTTP server on loopback that plays a platform's API and records what it receives."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: dict


@dataclass
class FakePlatform:
    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    # Status codes to answer with, in order; then 200. A platform that honours Idempotency-Key
    # sends a key it has already sent once only: `delivered` counts what reached the user.
    script: list[int] = field(default_factory=list)
    delivered: dict[str, dict] = field(default_factory=dict)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start() -> FakePlatform:
    fake: FakePlatform

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw or b"{}")
            fake.requests.append(Recorded("POST", self.path, dict(self.headers), body))
            status = fake.script.pop(0) if fake.script else 200
            reply = {"errcode": 0, "errmsg": "ok"} if status == 200 else {"error": "busy"}
            if status == 200:
                key = self.headers.get("Idempotency-Key", "")
                fake.delivered.setdefault(key, body)
                reply["msgid"] = reply["id"] = f"p-{len(fake.delivered)}"
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakePlatform(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake
