"""A member event in Chromium: the member answers yes on her phone and gets a QR ticket; staff at the door
check the ticket in once (a second scan is refused)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from playwright.sync_api import expect

from .flows import ADMIN, MEMBER_EMAIL, sign_in

pytestmark = pytest.mark.e2e


def _event(base: str) -> int:
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["token"]
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)
        reply = http.post("/api/v1/loyalty/member-events", headers={"Authorization": f"Bearer {token}"}, json={
            "kind": "meetup", "title": "Spring tea tasting", "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=2)).isoformat(), "place": "Shanghai Jing'an store",
            "capacity": 20, "points": 40})
        reply.raise_for_status()
        return reply.json()["id"]


def test_member_rsvps_and_staff_check_her_in_with_the_ticket(page, browser, server, mailbox_e2e, screenshots_dir):
    event_id = _event(server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/m/")
    page.get_by_label("E-mail").fill(MEMBER_EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code", exact=True).fill(mailbox_e2e.code_for(MEMBER_EMAIL))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/m/")
    page.get_by_role("button", name="English").click()

    card = page.locator(f"#event-{event_id}")
    expect(card.get_by_role("heading", name="Spring tea tasting")).to_be_visible()
    expect(card).to_contain_text("20 places left")
    card.get_by_role("button", name="I'll come").click()
    card = page.locator(f"#event-{event_id}")
    expect(card.get_by_role("status")).to_have_text("Coming")
    expect(card.locator("svg")).to_be_visible()
    token = card.locator("[data-ticket]").inner_text().strip()
    page.screenshot(path=str(screenshots_dir / "member-event-ticket.png"), full_page=True)

    door = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, locale="en-US")
    staff = door.new_page()
    staff.set_default_timeout(10_000)
    try:
        sign_in(staff)
        staff.goto(f"/loyalty/events/{event_id}")
        staff.get_by_label("Ticket code").fill(token)
        staff.get_by_role("button", name="Check in").click()
        expect(staff.get_by_role("status")).to_contain_text("Checked in: member")
        expect(staff.locator("#checked-in-count")).to_have_text("1")
        staff.get_by_label("Ticket code").fill(token)
        staff.get_by_role("button", name="Check in").click()
        expect(staff.get_by_role("alert")).to_contain_text("already used")
        staff.screenshot(path=str(screenshots_dir / "event-check-in.png"), full_page=True)
    finally:
        door.close()
    page.reload()
    expect(page.locator(f"#event-{event_id}").get_by_role("button", name="I can't come")).to_have_count(0)
