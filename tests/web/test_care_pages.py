"""Care pages: templates for the content team, campaigns for operations, each only for its role."""

from __future__ import annotations

from .forms import post_form


def test_content_team_saves_and_previews_a_template(staff_client, seed_customer):
    cid = seed_customer(name="Li Lei")
    client = staff_client("content")
    page = client.get("/care/templates")
    assert page.status_code == 200 and "Message templates" in page.text
    bad = post_form(client, "/care/templates", "/care/templates",
                    {"name": "hello", "channel": "email", "locale": "en", "subject": "Hi", "body": "Hi {{ customer.nick }}"})
    assert bad.status_code == 422 and "nick" in bad.text
    ok = post_form(client, "/care/templates", "/care/templates",
                   {"name": "hello", "channel": "email", "locale": "en", "subject": "Hi {{ customer.first_name }}",
                    "body": "Dear {{ customer.name }}"}, follow_redirects=False)
    assert ok.status_code == 303
    listed = client.get("/care/templates")
    assert "hello" in listed.text
    tid = listed.text.split('data-template="')[1].split('"')[0]
    shown = post_form(client, "/care/templates", f"/care/templates/{tid}/preview", {"customer_id": str(cid)})
    assert shown.status_code == 200 and "Dear Li Lei" in shown.text and "Hi Li" in shown.text
    assert client.get("/care/campaigns").status_code == 403


def test_operations_creates_and_starts_a_campaign(staff_client, make_token, client, seed_customer, runtime):
    from guanxi.care import template_store
    from guanxi.db import transaction
    from guanxi.staff.roles import SYSTEM

    with transaction(runtime.factory) as session:
        template_store.save_template(session, SYSTEM, name="bday", channel="email", locale="en", subject="Happy birthday",
                                     body="Dear {{ customer.first_name }}")
    ops = staff_client("operations")
    page = ops.get("/care/campaigns")
    assert page.status_code == 200 and "No campaigns yet." in page.text
    made = post_form(ops, "/care/campaigns", "/care/campaigns",
                     {"name": "Birthday care", "trigger": "birthday", "days": "3", "channel": "email",
                      "template": "bday", "purpose": "marketing", "control_percent": "10"}, follow_redirects=False)
    assert made.status_code == 303, made.text
    detail_url = made.headers["location"]
    detail = ops.get(detail_url)
    assert "Birthday care" in detail.text and 'id="uplift"' in detail.text
    started = post_form(ops, detail_url, f"{detail_url}/status", {"status": "active"}, follow_redirects=True)
    assert '<dd id="campaign-status">active</dd>' in started.text
    bad = post_form(ops, "/care/campaigns", "/care/campaigns",
                    {"name": "x", "trigger": "holiday", "occasion": "xmas", "template": "bday"})
    assert bad.status_code == 422
    assert ops.get("/care/templates").status_code == 403


def test_pages_work_in_chinese(staff_client):
    client = staff_client("admin", locale="zh-CN")
    assert "营销活动" in client.get("/care/campaigns").text
    assert "消息模板" in client.get("/care/templates").text


def test_messages_section_on_the_customer_360(staff_client, seed_customer, runtime):
    from guanxi.care.outbox import Draft, enqueue
    from guanxi.db import transaction

    cid = seed_customer(name="Han Meimei")
    client = staff_client("operations")
    assert "No messages yet." in client.get(f"/customers/{cid}").text
    with transaction(runtime.factory) as session:
        enqueue(session, runtime.cipher, Draft(key="m360", customer_id=cid, channel="sms", purpose="service",
                                               locale="en", subject=None, body="Your parcel is late"))
    page = client.get(f"/customers/{cid}").text
    assert 'id="care-messages"' in page and "queued" in page and "Your parcel is late" not in page
