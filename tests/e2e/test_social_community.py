"""Live sessions, communities and creators in Chromium: an operator adds a customer to a WeChat group and
marks them as gone (HTMX swaps the member list), and filters live sessions by platform; both languages."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from playwright.sync_api import expect

from .flows import ADMIN, MEMBER_EMAIL, sign_in

pytestmark = pytest.mark.e2e


def _seed(base: str) -> tuple[int, int]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        customer = http.get("/api/v1/customers", params={"q": MEMBER_EMAIL}, headers=headers).json()["items"][0]
        group = http.post("/api/v1/social/communities", headers=headers,
                          json={"platform": "wechat", "id": "e2e-group", "name": "上海宝妈群"})
        group.raise_for_status()
        for platform, room, title in (("douyin", "e2e-room-1", "抖音年货节"), ("weibo", "e2e-room-2", "微博新品发布")):
            http.post("/api/v1/social/live-sessions", headers=headers, json={
                "platform": platform, "id": room, "host": "店长", "title": title, "started_at": start.isoformat(),
                "ended_at": (start + dt.timedelta(hours=2)).isoformat(), "viewers": 2500}).raise_for_status()
        http.post("/api/v1/social/creators", headers=headers, json={
            "platform": "douyin", "id": "e2e-kol", "handle": "@美妆达人", "followers": 120000,
            "customer_id": customer["id"]}).raise_for_status()
        return group.json()["id"], customer["id"]


def test_operator_manages_a_group_and_filters_live_sessions(page, server, screenshots_dir):
    group_id, customer_id = _seed(server)
    sign_in(page)
    page.get_by_role("link", name="Live and community").click()
    page.wait_for_url("**/social/live")
    expect(page.get_by_text("抖音年货节")).to_be_visible()
    page.get_by_label("Platform").fill("weibo")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("微博新品发布")).to_be_visible()
    expect(page.get_by_text("抖音年货节")).to_have_count(0)
    page.wait_for_url("**/social/live?platform=weibo")

    page.get_by_role("link", name="Communities").click()
    page.get_by_role("link", name="上海宝妈群").click()
    page.wait_for_url(f"**/social/communities/{group_id}")
    page.get_by_label("Customer number").fill("not a number")
    page.get_by_role("button", name="Add to the group").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a customer number")
    page.get_by_label("Customer number").fill(str(customer_id))
    page.get_by_role("button", name="Add to the group").click()
    row = page.locator(f'tr[data-member="{customer_id}"]')
    expect(row).to_be_visible()
    expect(page).to_have_url(f"{server}/social/communities/{group_id}")   # swapped in place, no reload

    page.get_by_role("link", name="Communities").first.click()
    expect(page.locator(f'tr[data-community="{group_id}"] td').nth(1)).to_have_text("1")
    page.screenshot(path=str(screenshots_dir / "communities-en.png"), full_page=True)

    page.goto(f"/social/communities/{group_id}")
    page.get_by_role("button", name="Left the group").click()
    expect(page.get_by_text("Nobody in this group yet.")).to_be_visible()

    page.get_by_role("button", name="中文").click()
    page.goto("/social/creators")
    expect(page.get_by_role("heading", name="达人")).to_be_visible()
    expect(page.get_by_text("@美妆达人")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "creators-zh.png"), full_page=True)
