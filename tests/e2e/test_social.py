"""Social replies in Chromium: a staff member answers a Weibo post from the mentions page; the reply goes to a
loopback server playing Weibo, which is busy (503) once — the reply is posted exactly once and the page says so,
in English and in Chinese.

Its own server (not the shared one): this one is configured with a Weibo connector pointing at the loopback.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import httpx
import pytest
from playwright.sync_api import expect

from guanxi import migrate
from guanxi.config import load_settings
from guanxi.db import transaction
from guanxi.privacy.secrets import ensure_secrets
from guanxi.runtime import build_runtime
from guanxi.staff import service as staff_service
from tests.social.conftest import Loopback

from tests.served import guanxi_server
from .flows import ADMIN, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def weibo():
    server = Loopback()
    answers = [503]

    def create(query):
        status = answers.pop(0) if answers else 200
        return (status, {"error": "busy"}) if status != 200 else (200, {"idstr": "4990001", "id": 4990001})

    server.routes["/2/comments/create.json"] = create
    yield server
    server.close()


@pytest.fixture(scope="module")
def social_server(tmp_path_factory, weibo):
    data_dir = tmp_path_factory.mktemp("e2e-social")
    url = f"sqlite:///{data_dir / 'guanxi.db'}"
    ensure_secrets(data_dir / "secrets.json")
    migrate.upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUANXI_")}
    env.update(GUANXI_DATA_DIR=str(data_dir), GUANXI_DATABASE_URL=url, GUANXI_ENV="test", GUANXI_LOG_FORMAT="text",
               GUANXI_LOG_LEVEL="WARNING",
               GUANXI_SOCIAL_CONNECTORS=json.dumps({"weibo": {"base_url": weibo.url, "token": "wb-token"}}))
    runtime = build_runtime(load_settings(_env_file=None, data_dir=data_dir, database_url=url))
    with transaction(runtime.factory) as session:
        staff_service.create_user(session, email=ADMIN[0], password=ADMIN[1], role="admin", locale="en")
        _, token = staff_service.create_token(session, name="e2e-social", role="admin")
    runtime.dispose()
    with guanxi_server(env, data_dir, data_dir / "server.log") as base:
        posted = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)).isoformat()
        httpx.post(f"{base}/api/v1/social/mentions", headers={"Authorization": f"Bearer {token}"}, timeout=30, json={
            "mentions": [{"platform": "weibo", "id": "5100200300", "kind": "post", "text": "@小店 杯子收到了，颜值很高",
                          "posted_at": posted, "author": {"id": "wb-1", "name": "小王", "followers": 120}}]},
        ).raise_for_status()
        yield base


def test_a_reply_from_the_mentions_page_is_posted_to_weibo_once(browser, social_server, weibo, screenshots_dir):
    context = browser.new_context(base_url=social_server, viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page)
        page.goto("/social/mentions")
        expect(page.get_by_text("杯子收到了，颜值很高")).to_be_visible()
        page.get_by_label("Reply").fill("谢谢喜欢，期待再次光临！")
        page.get_by_role("button", name="Send reply").click()
        page.wait_for_url("**/social/mentions")
        expect(page.get_by_text("Posted on weibo")).to_be_visible()
        expect(page.get_by_role("button", name="Send reply")).to_have_count(0)  # posted: no second send
        page.screenshot(path=str(screenshots_dir / "social-reply-posted-en.png"), full_page=True)

        posts = [r for r in weibo.requests if r["path"] == "/2/comments/create.json"]
        assert len(posts) == 2  # busy once, then taken
        assert {r["headers"]["Idempotency-Key"] for r in posts} == {posts[0]["headers"]["Idempotency-Key"]}
        assert "5100200300" in posts[1]["body"].decode()

        context.add_cookies([{"name": "guanxi_locale", "value": "zh-CN", "url": social_server}])
        page.goto("/social/mentions")
        expect(page.get_by_text("已发布到 weibo")).to_be_visible()
    finally:
        context.close()
