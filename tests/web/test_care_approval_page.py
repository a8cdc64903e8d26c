"""The campaign page's approval button: the author cannot approve, a second staff member can, then it starts."""

from __future__ import annotations

from guanxi.care import template_store
from guanxi.db import transaction
from guanxi.staff.roles import SYSTEM

from .forms import post_form, sign_in


def test_second_staff_member_approves_on_the_campaign_page(staff_client, runtime, monkeypatch):
    monkeypatch.setenv("GUANXI_CARE_REQUIRE_APPROVAL", "true")
    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="bday", channel="email", locale="en",
                                     subject="Happy birthday", body="Dear {{ customer.first_name }}")
    client = staff_client("operations")
    author = client.staff_email
    made = post_form(client, "/care/campaigns", "/care/campaigns",
                     {"name": "Birthday care", "trigger": "birthday", "channel": "email", "template": "bday",
                      "purpose": "marketing"}, follow_redirects=False)
    url = made.headers["location"]
    page = client.get(url)
    assert "Needs approval by a second staff member" in page.text and 'id="approve-campaign"' in page.text
    refused = post_form(client, url, f"{url}/status", {"status": "active"})
    assert refused.status_code == 409 and "approval by a second staff member" in refused.text
    own = post_form(client, url, f"{url}/approval", {})
    assert own.status_code == 403 and "a second staff member has to approve it" in own.text

    staff_client("operations", locale="zh-CN")  # the same browser, now signed in as a colleague
    assert "需要另一位员工审批" in client.get(url).text
    ok = post_form(client, url, f"{url}/approval", {}, follow_redirects=True)
    assert ok.status_code == 200 and "审批人" in ok.text and 'id="approve-campaign"' not in ok.text

    assert sign_in(client, author).status_code == 303
    started = post_form(client, url, f"{url}/status", {"status": "active"}, follow_redirects=True)
    assert '<dd id="campaign-status">active</dd>' in started.text and "Approved by" in started.text
