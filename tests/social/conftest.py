"""Social fixtures: settings pointed at loopback servers, customers with orders, a platform played by a server."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from guanxi.social.settings import SocialSettings, get_social_settings


class Loopback:
    """A tiny HTTP server on 127.0.0.1: `routes[path] = callable(query) -> (status, dict)`; records requests."""

    def __init__(self):
        self.routes: dict = {}
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bytes | None):
                from urllib.parse import parse_qs, urlparse

                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.requests.append({"method": self.command, "path": url.path, "query": query,
                                       "headers": dict(self.headers), "body": body})
                route = outer.routes.get(url.path)
                status, data = route(query) if route else (404, {"error": "no route"})
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._answer(None)

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback():
    server = Loopback()
    yield server
    server.close()


@pytest.fixture
def social(app, loopback):
    """The app's social settings, with crisis alerts going to a webhook on the loopback server."""
    loopback.routes["/alerts"] = lambda q: (200, {"id": "hook-1"})
    cfg = SocialSettings(_env_file=None, alert_webhook_url=f"{loopback.url}/alerts", alert_webhook_secret="s3cret",
                         review_points=20)
    app.dependency_overrides[get_social_settings] = lambda: cfg
    yield cfg
    app.dependency_overrides.pop(get_social_settings, None)


@pytest.fixture
def buyer(client, auth):
    """buyer(weibo_id=None) -> (customer id, order id) made through the API."""

    def make(weibo_id: str | None = None):
        headers = auth("admin")
        email = f"b-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "name": "李雷"}
        if weibo_id:
            body["weibo_id"] = weibo_id
        reply = client.post("/api/v1/customers", json=body, headers=headers)
        assert reply.status_code in (200, 201), reply.text
        cid = reply.json()["id"]
        order = {"source": "site", "external_id": f"o-{uuid.uuid4().hex[:8]}", "customer": {"email": email},
                 "placed_at": (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).isoformat(), "currency": "CNY",
                 "total_minor": 10000, "lines": [{"sku": "MUG-1", "name": "Mug", "quantity": 1, "unit_price_minor": 10000}]}
        reply = client.post("/api/v1/orders", json=order, headers=headers)
        assert reply.status_code in (200, 201), reply.text
        return cid, reply.json()["id"]

    return make


def mention(i, text, *, platform="weibo", kind="post", at=None, author=None, followers=10, **extra) -> dict:
    at = at or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return {"platform": platform, "id": f"m-{i}", "kind": kind, "text": text, "posted_at": at.isoformat(),
            "author": {"id": author or f"u{i}", "name": f"用户{i}", "followers": followers}, **extra}
