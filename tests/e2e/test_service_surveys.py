"""A configurable survey in Chromium: an admin defines it on the settings page and sends it; the
customer answers every question on a phone; the low rating opens a ticket by itself."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from .flows import ADMIN, MEMBER_EMAIL, sign_in

pytestmark = pytest.mark.e2e

QUESTIONS = ("rating; overall; How was your order?; 您对这笔订单满意吗？\n"
             "nps; recommend; Would you recommend us?; 您会推荐我们吗？\n"
             "choice; found; Where did you find us?; 您从哪里知道我们？; required; wechat=WeChat/微信, friend=A friend/朋友\n"
             "text; why; Anything else?; 还有什么想说的？; optional")


def _api(base: str) -> httpx.Client:
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["token"]
    return httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})


def test_admin_defines_and_sends_a_survey_customer_answers_on_a_phone(page, server, browser, screenshots_dir):
    with _api(server) as http:
        customer_id = http.get("/api/v1/customers", params={"q": MEMBER_EMAIL}).json()["items"][0]["id"]
    sign_in(page)
    page.goto("/service/settings")
    form = page.locator("#survey-form")
    form.get_by_label("Code").fill("after_order")
    form.get_by_label("English title").fill("After your order")
    form.get_by_label("Chinese title").fill("购物回访")
    form.get_by_label("Questions, one a line").fill(QUESTIONS)
    form.get_by_role("button", name="Add survey").click()
    row = page.locator('tr[data-survey="after_order"]')
    expect(row).to_contain_text("4")
    row.get_by_label("Customer id").fill(str(customer_id))
    row.get_by_role("button", name="Send").click()
    link = page.locator("#sent-link code").inner_text()
    page.screenshot(path=str(screenshots_dir / "service-settings-en.png"), full_page=True)

    phone = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        survey = phone.new_page()
        survey.goto(re.sub(r"^https?://[^/]+", "", link))
        for text in ("您对这笔订单满意吗？", "您会推荐我们吗？", "您从哪里知道我们？", "还有什么想说的？"):
            expect(survey.get_by_text(text)).to_be_visible()
        survey.locator("#question-overall").get_by_label("2", exact=True).check()
        survey.locator("#question-recommend").get_by_label("8", exact=True).check()
        survey.locator("#question-found").get_by_label("微信").check()
        survey.locator("#question-why textarea").fill("盒子压坏了")
        survey.screenshot(path=str(screenshots_dir / "survey-custom-zh.png"), full_page=True)
        survey.get_by_role("button", name="发送").click()
        expect(survey.get_by_role("heading", name="谢谢！")).to_be_visible()
        survey.goto(re.sub(r"^https?://[^/]+", "", link))
        expect(survey.get_by_text("此问卷已经回答过了。")).to_be_visible()
    finally:
        phone.close()

    with _api(server) as http:
        items = http.get("/api/v1/tickets", params={"customer_id": customer_id, "limit": 50}).json()["items"]
    assert any(t["subject"].startswith("Survey 2") and "survey" in t["tags"] for t in items), items
