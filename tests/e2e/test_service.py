"""The service desk in Chromium: an agent takes a ticket, answers with a canned reply, resolves it with
goodwill points; the customer answers the CSAT survey from the e-mail's link on a phone."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from .flows import ADMIN, MEMBER_EMAIL, sign_in

pytestmark = pytest.mark.e2e


def _open_ticket(base: str) -> int:
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        customer = http.get("/api/v1/customers", params={"q": MEMBER_EMAIL}, headers=headers).json()["items"][0]
        reply = http.post("/api/v1/tickets", headers=headers, json={
            "subject": "杯子碎了", "body": "快递外箱破损，杯子碎了", "customer_id": customer["id"], "channel": "email"})
        reply.raise_for_status()
        return reply.json()["id"]


def _mail_body(mailbox, address: str, needle: str, timeout: float = 10.0) -> str:
    """The latest plain-text e-mail to `address` that contains `needle` (waits for it to arrive)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(mailbox.to(address)):
            body = message.get_body(("plain",)).get_content()
            if needle in body:
                return body
        time.sleep(0.1)
    raise AssertionError(f"no e-mail with {needle!r} reached {address}")


def _survey_link(mailbox, address: str, ticket_id: int) -> str:
    # The link of this ticket's "how did we do?" e-mail, not of any other survey the address got.
    body = _mail_body(mailbox, address, f"Your request #{ticket_id} is resolved")
    match = re.search(r"https?://\S+/s/[\w-]+", body)
    assert match, body
    return match.group(0)


def test_agent_resolves_with_goodwill_and_customer_answers_csat(page, server, mailbox_e2e, browser, screenshots_dir):
    ticket_id = _open_ticket(server)
    sign_in(page)
    page.get_by_role("link", name="Tickets", exact=True).first.click()
    page.wait_for_url("**/tickets")
    page.get_by_role("link", name=f"#{ticket_id}").click()
    expect(page.get_by_role("heading", name=f"#{ticket_id} 杯子碎了")).to_be_visible()

    page.get_by_role("button", name="Take this ticket").click()
    expect(page.locator("#ticket-assignee")).to_have_text(ADMIN[0])
    page.get_by_label("Canned reply").select_option("apology")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("we are sorry about this")).to_be_visible()
    expect(page.locator("#ticket-status")).to_have_text("Open")
    assert "Dear 王芳" in _mail_body(mailbox_e2e, MEMBER_EMAIL, "we are sorry about this")  # the ticket came by e-mail

    page.get_by_label("Root cause").select_option("carrier")
    page.get_by_label("Resolution type").select_option("points")
    page.get_by_label("Goodwill points").fill("200")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    expect(page.get_by_text("200 goodwill points")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "ticket-en.png"), full_page=True)

    link = _survey_link(mailbox_e2e, MEMBER_EMAIL, ticket_id)
    phone = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        survey = phone.new_page()
        survey.goto(re.sub(r"^https?://[^/]+", "", link))
        expect(survey.get_by_role("heading", name="您对我们的服务满意吗？")).to_be_visible()
        survey.get_by_label("5").check()
        survey.get_by_label("还有什么想告诉我们的吗？（选填）").fill("很快，谢谢")
        survey.get_by_role("button", name="发送").click()
        expect(survey.get_by_role("heading", name="谢谢！")).to_be_visible()
        survey.screenshot(path=str(screenshots_dir / "survey-zh.png"), full_page=True)
        survey.goto(re.sub(r"^https?://[^/]+", "", link))
        expect(survey.get_by_text("此问卷已经回答过了。")).to_be_visible()
    finally:
        phone.close()
