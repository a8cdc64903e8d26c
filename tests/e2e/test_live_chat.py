"""Live chat in Chromium, two pages: a visitor on the shop's own site (the widget embedded from the Guanxi
server) and an agent on /inbox in a separate browser context. Every wait is bounded and nothing reloads
to see a message, so the test fails when real-time delivery (stream to the visitor, re-read of the
thread on the agent's page) breaks."""

from __future__ import annotations

import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import free_port
from .flows import ADMIN, sign_in

pytestmark = pytest.mark.e2e
LIVE = 6_000        # ms: the visitor's stream is woken at once; the agent's thread is re-read every 2 s
ARTICLE = {"slug": "green-tea-storage", "locale": "en", "title": "Storing green tea",
           "body": "Keep green tea sealed, cool and away from light; drink within six months.", "public": True}



def _png(width: int = 8, height: int = 8) -> bytes:
    """A real (green) PNG, so the browser can draw it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x20\xa0\x40" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def shop_site(server):
    """The shop's own web site on another loopback port, with the widget's script tag from the Guanxi server."""
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tea shop</title></head>'
            f'<body><h1>Tea shop</h1><script src="{server}/static/js/guanxi-chat.js" data-lang="en" defer>'
            f'</script></body></html>').encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _article(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        if not any(a["slug"] == ARTICLE["slug"] for a in http.get("/api/v1/kb/articles", headers=headers).json()):
            http.post("/api/v1/kb/articles", headers=headers, json=ARTICLE).raise_for_status()


def test_visitor_and_agent_chat_in_real_time_and_the_agent_sends_an_article(browser, server, shop_site, page,
                                                                            screenshots_dir):
    _article(server)
    visitor_ctx = browser.new_context(viewport={"width": 1000, "height": 800}, locale="en-US")
    try:
        visitor = visitor_ctx.new_page()
        visitor.set_default_timeout(10_000)
        visitor.goto(shop_site)
        visitor.get_by_role("button", name="Chat").click()
        box = visitor.get_by_label("Type a message…")
        box.fill("Hello, is the Longjing green tea in stock?")
        box.press("Enter")
        expect(visitor.locator("#gx-chat li.visitor").first).to_have_text("Hello, is the Longjing green tea in stock?")

        # The agent, in another context (own cookies), opens the conversation from the inbox.
        sign_in(page)
        page.goto("/inbox?view=all&channel=livechat")
        page.locator("a[href^='/inbox/']", has_text="#").first.click()
        page.wait_for_url("**/inbox/*")
        expect(page.locator("#messages")).to_contain_text("Longjing green tea")
        url = page.url

        # The visitor writes again: the agent's open page shows it without a reload.
        box.fill("And how should I store it?")
        box.press("Enter")
        expect(page.locator("#messages")).to_contain_text("how should I store it", timeout=LIVE)
        assert page.url == url

        # The agent answers from the reply box: the visitor's widget shows it as it is sent.
        page.get_by_label("Reply", exact=True).fill("Yes, it is in stock — 50 g and 100 g tins.")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(visitor.locator("#gx-chat li.shop", has_text="50 g and 100 g tins")).to_be_visible(timeout=LIVE)

        # The visitor sends a photo from the widget: both sides see the image (drawn, not just linked).
        visitor.set_input_files("#gx-chat-file", files=[{"name": "leaves.png", "mimeType": "image/png",
                                                         "buffer": _png()}])
        mine = visitor.locator("#gx-chat li.visitor img[alt='leaves.png']")
        expect(mine).to_be_visible(timeout=LIVE)
        theirs = page.locator("#messages img[alt='leaves.png']")
        expect(theirs).to_be_visible(timeout=LIVE)
        assert mine.evaluate("i => i.naturalWidth") == 8 and theirs.evaluate("i => i.naturalWidth") == 8

        # The agent searches the knowledge base beside the reply box and sends the article's link.
        page.get_by_label("Search articles").fill("store green tea")
        page.get_by_role("button", name="Search", exact=True).click()
        hit = page.locator("#kb-hits li", has_text=ARTICLE["title"])
        expect(hit).to_be_visible()
        hit.get_by_role("button", name="Send the link").click()
        link = visitor.locator("#gx-chat li.shop a", has_text=f"/help/en/{ARTICLE['slug']}")
        expect(link).to_be_visible(timeout=LIVE)
        assert link.get_attribute("href") == f"{server}/help/en/{ARTICLE['slug']}"
        visitor.screenshot(path=str(screenshots_dir / "live-chat-visitor-en.png"))
        page.screenshot(path=str(screenshots_dir / "live-chat-agent-en.png"), full_page=True)

        # The link opens the public article.
        with visitor.expect_popup() as popup:
            link.click()
        expect(popup.value.get_by_role("heading", name=ARTICLE["title"])).to_be_visible()
    finally:
        visitor_ctx.close()


def test_a_message_typed_while_the_visitor_is_being_created_is_shown(browser, server, shop_site):
    """The first message may be sent before the widget's visitor exists: it must wait for that visitor, not
    create a second one whose messages the stream (listening as the first) never shows."""
    ctx = browser.new_context(viewport={"width": 1000, "height": 800}, locale="en-US")
    # The shop's server answers the visitor's creation slowly (in the page, so the test itself is not held up).
    ctx.add_init_script("""(() => {
      const fetch0 = window.fetch; window.__visitorPosts = 0;
      window.fetch = function (url, opts) {
        const reply = fetch0.apply(this, arguments);
        if (String(url).endsWith("/api/v1/chat/visitors")) {
          window.__visitorPosts += 1;
          return reply.then(r => new Promise(done => setTimeout(() => done(r), 800)));
        }
        return reply;
      };
    })();""")
    try:
        visitor = ctx.new_page()
        visitor.set_default_timeout(10_000)
        visitor.goto(shop_site)
        visitor.get_by_role("button", name="Chat").click()
        box = visitor.get_by_label("Type a message…")
        box.fill("Do you ship to Hangzhou?")
        box.press("Enter")
        expect(visitor.locator("#gx-chat li.visitor").first).to_have_text("Do you ship to Hangzhou?")
        assert visitor.evaluate("window.__visitorPosts") == 1
    finally:
        ctx.close()
