"""Staff edit an earning rule in the browser: an invalid definition is refused with the server's reason and
the text kept, a valid one becomes a new version; the reports page draws its charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .flows import sign_in

pytestmark = pytest.mark.e2e


def test_edit_a_rule_invalid_then_valid(page, screenshots_dir):
    sign_in(page)
    page.get_by_role("link", name="Loyalty", exact=True).click()
    expect(page.get_by_role("heading", name="Earning rules")).to_be_visible()
    page.get_by_label("Name").fill("double11")
    page.get_by_label("Definition of the new rule (JSON)").fill('{"kind": "multiplier", "factor": 2, "when": {"category": "beauty"}}')
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("heading", name="Edit double11")).to_be_visible()

    editor = page.get_by_label("Definition (JSON)")
    editor.fill('{"kind": "multiplier", "factor": 2, "when": {"weekday": [8]}}')
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#loyalty-error")).to_contain_text("when.weekday")
    expect(page.get_by_label("Definition (JSON)")).to_have_value(
        '{"kind": "multiplier", "factor": 2, "when": {"weekday": [8]}}')   # kept as typed
    expect(page.locator("#rule-versions tbody tr")).to_have_count(1)
    page.screenshot(path=str(screenshots_dir / "loyalty-rule-error.png"), full_page=True)

    page.get_by_label("Definition (JSON)").fill('{"kind": "multiplier", "factor": 3, "when": {"weekday": [3]}}')
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#loyalty-error")).to_have_count(0)
    expect(page.locator("#rule-versions tbody tr")).to_have_count(2)
    expect(page.locator('#rules tr[data-rule="double11"]')).to_contain_text('"factor": 3')

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Liability")).to_be_visible()
