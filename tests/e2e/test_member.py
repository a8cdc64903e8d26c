"""A member on a phone: sign in with the code from the e-mail, then change a consent."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .flows import MEMBER_EMAIL

pytestmark = pytest.mark.e2e


def test_member_signs_in_by_code_and_changes_a_consent(page, mailbox_e2e, screenshots_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/m/")
    page.wait_for_url("**/m/signin**")
    page.get_by_label("E-mail").fill(MEMBER_EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()

    code = mailbox_e2e.code_for(MEMBER_EMAIL)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/m/")
    # Her own setting is Chinese, so the page is, until she switches.
    expect(page.get_by_role("heading", name="您好，王芳")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "member-zh.png"), full_page=True)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Hello, 王芳")).to_be_visible()

    offers = page.get_by_role("group", name="Offers and news")
    offers.get_by_label("E-mail").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your choices are saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("group", name="Offers and news").get_by_label("E-mail")).to_be_checked()
    page.screenshot(path=str(screenshots_dir / "member-en.png"), full_page=True)

    # The code worked once: signing out and using it again fails.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("E-mail").fill(MEMBER_EMAIL)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong, used or expired")
