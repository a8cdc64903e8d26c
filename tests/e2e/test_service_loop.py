"""Incidents and quality checks in Chromium: an agent groups two tickets about one payment outage into an
incident and resolves it; then scores one of the sampled resolved tickets against the checklist."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from .flows import ADMIN, sign_in

pytestmark = pytest.mark.e2e


def _open_tickets(base: str) -> list[int]:
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        ids = []
        for subject, body in (("付款失败", "支付时报错，还扣款了"), ("Payment failed", "I was charged twice")):
            reply = http.post("/api/v1/tickets", headers=headers, json={"subject": subject, "body": body})
            reply.raise_for_status()
            ids.append(reply.json()["id"])
        return ids


def test_group_two_tickets_resolve_the_incident_and_score_a_ticket(page, server, screenshots_dir):
    first, second = _open_tickets(server)
    sign_in(page)
    page.get_by_role("link", name="Incidents", exact=True).first.click()
    page.wait_for_url("**/service/incidents")
    # Other tests' open tickets may be listed (and ticked) too: group exactly these two.
    for box in page.locator("input[name=ticket_ids]").all():
        box.uncheck()
    page.get_by_label(f"#{first} 付款失败").check()
    page.get_by_label(f"#{second} Payment failed").check()
    page.get_by_label("Title").fill("支付通道故障")
    page.get_by_label("Kind").select_option("payment")
    page.get_by_role("button", name="Create the incident").click()
    expect(page.get_by_role("heading", name="支付通道故障")).to_be_visible()
    rows = page.locator("#incident-tickets tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f'#incident-tickets tr[data-ticket="{first}"]')).to_be_visible()
    expect(page.locator(f'#incident-tickets tr[data-ticket="{second}"]')).to_be_visible()

    page.get_by_label("Root cause").select_option("payment_provider")
    page.get_by_role("button", name="Resolve the incident and its tickets").click()
    expect(page.locator("#incident-status")).to_have_text("Resolved")
    expect(rows.filter(has_text="Resolved")).to_have_count(2)
    page.screenshot(path=str(screenshots_dir / "incident-en.png"), full_page=True)

    page.get_by_role("link", name="Quality checks", exact=True).first.click()
    page.wait_for_url("**/service/quality")
    page.get_by_role("link", name=f"Score ticket #{first}").click()
    page.get_by_label("Greeted the customer by name").check()
    page.get_by_label("Polite, no banned words").check()
    page.get_by_label("Solved it, or said clearly what happens next").check()
    page.get_by_label("Comment for the agent").fill("Clear and quick.")
    page.get_by_role("button", name="Save the score").click()
    page.wait_for_url(f"**/service/quality?scored={first}")
    expect(page.get_by_role("status")).to_have_text(f"Ticket #{first} is scored.")
    expect(page.get_by_role("link", name=f"Score ticket #{first}")).to_have_count(0)
    expect(page.locator("#scorecard tbody tr").filter(has_text="50.0")).to_have_count(1)
    page.screenshot(path=str(screenshots_dir / "quality-en.png"), full_page=True)
