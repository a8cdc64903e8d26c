"""Operations set up a coalition partner in the browser: the token is shown once and works, then only
for the partner's own API; a new token replaces it."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from .flows import sign_in

pytestmark = pytest.mark.e2e


def test_create_a_partner_see_its_token_once_and_rotate_it(page, server, screenshots_dir):
    sign_in(page)
    page.get_by_role("link", name="Loyalty partners").click()
    expect(page.get_by_role("heading", name="Loyalty partners", exact=True)).to_be_visible()
    page.get_by_label("Code").fill("E2ECAFE")
    page.get_by_label("Name").fill("街角咖啡")
    page.get_by_label("Partner units").fill("100")
    page.get_by_label("Our points", exact=True).fill("1")
    page.get_by_label("Value (minor units)").fill("3")
    page.get_by_label("Per points").fill("4")
    page.get_by_role("button", name="Create partner").click()

    token_box = page.locator("#new-token")
    expect(token_box).to_be_visible()
    token = token_box.input_value()
    assert token.startswith("gxp_")
    expect(page.locator("#partners tbody")).to_contain_text("街角咖啡")
    page.screenshot(path=str(screenshots_dir / "loyalty-partners-en.png"), full_page=True)
    with httpx.Client(base_url=server, timeout=10) as http:
        me = http.get("/api/v1/partner", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["code"] == "E2ECAFE"
        assert http.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    page.reload()                                             # shown once: not on the page any more
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(token)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="New token for E2ECAFE").click()
    expect(page.locator("#new-token")).to_be_visible()
    new = page.locator("#new-token").input_value()
    assert new != token
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/api/v1/partner", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert http.get("/api/v1/partner", headers={"Authorization": f"Bearer {new}"}).status_code == 200

    page.get_by_role("link", name="Statement").first.click()
    expect(page.locator("#statement-totals")).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
