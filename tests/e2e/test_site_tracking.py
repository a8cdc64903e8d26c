"""The tracking snippet in Chromium: a shop page on its own loopback origin pastes the snippet from the
funnel page's instructions, a visitor views it and clicks "Add to cart", and the funnel counts them.

The server here is its own (not the session's): it must list the shop's origin in
GUANXI_TRACKING_ORIGINS, and the shop's port is only known once its server is up."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from guanxi import migrate
from guanxi.analytics.site_tracking import site_key
from guanxi.config import load_settings
from guanxi.db import transaction
from guanxi.privacy.secrets import ensure_secrets, read_secrets
from guanxi.runtime import build_runtime
from guanxi.staff import service as staff_service
from tests.served import guanxi_server

from .conftest import free_port
from .flows import ADMIN, sign_in

pytestmark = pytest.mark.e2e


class ShopSite:
    """The shop's web site on a loopback port; its page is set once the Guanxi address is known."""

    def __init__(self):
        self.html = b""
        site = self

        class Page(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(site.html)))
                self.end_headers()
                self.wfile.write(site.html)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tracked_server(tmp_path):
    """(Guanxi base URL, admin token, site key, the shop site) with the shop's origin allowed."""
    shop = ShopSite()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'guanxi.db'}"
    ensure_secrets(data_dir / "secrets.json")
    migrate.upgrade(url)
    runtime = build_runtime(load_settings(_env_file=None, data_dir=data_dir, database_url=url))
    with transaction(runtime.factory) as session:
        staff_service.create_user(session, email=ADMIN[0], password=ADMIN[1], role="admin", locale="en")
        _, token = staff_service.create_token(session, name="e2e-tracking", role="admin")
    runtime.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUANXI_")}
    env.update(GUANXI_DATA_DIR=str(data_dir), GUANXI_DATABASE_URL=url, GUANXI_ENV="test", GUANXI_LOG_FORMAT="text",
               GUANXI_LOG_LEVEL="WARNING", GUANXI_TRACKING_ORIGINS=f'["{shop.origin}"]')
    try:
        with guanxi_server(env, data_dir, data_dir / "server.log") as base:
            yield base, token, site_key(read_secrets(data_dir / "secrets.json").session_secret), shop
    finally:
        shop.close()


def _funnel(base: str, token: str) -> dict:
    got = httpx.get(f"{base}/api/v1/analytics/funnel", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    got.raise_for_status()
    return {s["step"]: s["customers"] for s in got.json()["steps"]}


def _wait_for(base: str, token: str, expected: dict, seconds: float = 10) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        steps = _funnel(base, token)
        if steps == expected or time.monotonic() > deadline:
            return steps
        time.sleep(0.2)


def test_the_snippet_on_a_shop_page_feeds_the_funnel(browser, tracked_server):
    base, token, key, shop = tracked_server
    admin = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, locale="en-US")
    visitor_ctx = browser.new_context(viewport={"width": 1000, "height": 800}, locale="en-US")
    try:
        staff = admin.new_page()
        staff.set_default_timeout(10_000)
        sign_in(staff)
        staff.goto("/analytics/funnel")
        assert staff.locator("[data-site-key]").inner_text() == key
        snippet = staff.locator("#tracking-snippet").inner_text()  # what the shop copies
        assert f'src="{base}/t/guanxi.js"' in snippet
        assert staff.locator("[data-origin]").inner_text() == shop.origin

        shop.html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tea shop</title></head><body>'
                     f'<h1>Longjing green tea</h1>'
                     f'<button type="button" data-guanxi="add_to_cart" data-item="TEA-9">Add to cart</button>'
                     f'{snippet}<script>guanxi("view_item", {{item: "TEA-9"}});</script></body></html>').encode()
        visitor = visitor_ctx.new_page()
        visitor.set_default_timeout(10_000)
        failed = []
        visitor.on("requestfailed", lambda r: failed.append(r.url))
        visitor.goto(shop.origin + "/tea/longjing")
        visitor.wait_for_function("window.guanxi && window.guanxi.loaded === true")
        vid = visitor.evaluate("window.guanxi.visitor")
        assert vid == visitor.evaluate("localStorage.getItem('guanxi_vid')")
        assert f"guanxi_vid={vid}" in visitor.evaluate("document.cookie")  # first-party, on the shop's origin
        assert _wait_for(base, token, {"viewed": 1, "carted": 0, "ordered": 0}) == {"viewed": 1, "carted": 0,
                                                                                    "ordered": 0}

        visitor.get_by_role("button", name="Add to cart").click()
        assert _wait_for(base, token, {"viewed": 1, "carted": 1, "ordered": 0}) == {"viewed": 1, "carted": 1,
                                                                                    "ordered": 0}
        # A second page view of the same visitor is the same customer: still one viewer.
        visitor.reload()
        visitor.wait_for_function("window.guanxi && window.guanxi.loaded === true")
        assert visitor.evaluate("window.guanxi.visitor") == vid
        assert failed == []

        staff.goto("/analytics/funnel")
        assert staff.locator('tr[data-step="carted"] td.num').first.inner_text() == "1"
        assert staff.locator('tr[data-channel="site"]').count() == 1
    finally:
        admin.close()
        visitor_ctx.close()
