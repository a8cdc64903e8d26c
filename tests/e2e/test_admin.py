"""A staff member in the browser: sign in, search, open the 360, reveal (audited), switch language."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .flows import sign_in

pytestmark = pytest.mark.e2e


def test_sign_in_search_reveal_and_switch_language(page, screenshots_dir):
    sign_in(page)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.wait_for_selector("#orders-chart svg")  # ECharts drew the 12-month chart
    expect(page.locator('[data-kpi="customers"]')).to_have_text("15")
    page.screenshot(path=str(screenshots_dir / "dashboard-en.png"), full_page=True)

    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_label("Search").fill("139 1234 5678")  # an exact phone, as staff type it
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/customers\?q=139"))  # HTMX pushed the search into the address bar
    page.locator("#results a.customer-link").click()

    expect(page.get_by_role("heading", name=re.compile(r"Customer \d+"))).to_be_visible()
    phone = page.locator('[data-identity="phone"]')
    expect(phone).to_contain_text("****")
    page.get_by_role("button", name="Reveal personal data").click()
    expect(phone).to_have_text("+8613912345678")
    expect(page.locator("#revealed-note")).to_be_visible()
    customer_url = page.url
    page.screenshot(path=str(screenshots_dir / "customer-360-en.png"), full_page=True)

    page.goto("/settings/audit?kind=pii_viewed")
    rows = page.locator('tr[data-kind="pii_viewed"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("user:admin@shop.example")

    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.goto("/dashboard")
    page.wait_for_selector("#orders-chart svg")
    expect(page.get_by_text("重复购买率")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "dashboard-zh.png"), full_page=True)
    page.goto(customer_url)
    expect(page.get_by_role("heading", name=re.compile(r"客户 \d+"))).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "customer-360-zh.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name=re.compile(r"Customer \d+"))).to_be_visible()


def test_tags_and_notes_on_the_360_page(page):
    sign_in(page)
    page.goto("/customers?q=Li")
    page.get_by_role("link", name="Li Lei").click()
    page.get_by_label("New tag").fill("golden-week")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("#tags")).to_contain_text("golden-week")
    page.get_by_label("New note").fill("Prefers delivery after 6 pm.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("Prefers delivery after 6 pm.")
    page.reload()
    expect(page.locator("#tags")).to_contain_text("golden-week")
    page.get_by_role("button", name="Remove tag golden-week").click()
    expect(page.locator("#tags")).not_to_contain_text("golden-week")


def test_keyboard_only_sign_in(page):
    page.goto("/signin")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(".skip")).to_be_focused()
    page.get_by_label("E-mail").focus()
    page.keyboard.type("admin@shop.example")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-1")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")


def test_wrong_password_shows_the_message(page):
    page.goto("/signin")
    page.get_by_label("E-mail").fill("nobody@shop.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
