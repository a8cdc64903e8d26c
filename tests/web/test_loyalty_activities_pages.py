"""Member activities in the console and on the member page: create an event, answer it, show the QR ticket,
check in at the door once; a trial applied for on the member page, picked and shipped from the console."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from guanxi.db import transaction
from guanxi.loyalty import activities, store

from .forms import post_form, sign_in
from .test_member import _signed_in_member

TICKET = re.compile(r"<code data-ticket>([^<]+)</code>")


def _staff(app, make_staff, role="admin") -> TestClient:
    c = TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "en"})
    assert sign_in(c, make_staff(role)).status_code == 303
    return c


def test_event_created_answered_and_checked_in_once(app, client, make_staff, mailbox, seed_customer, runtime):
    staff = _staff(app, make_staff)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    form = {"kind": "meetup", "title": "Tea tasting", "starts_at": soon.strftime("%Y-%m-%dT19:00"),
            "ends_at": soon.strftime("%Y-%m-%dT21:00"), "place": "Shanghai store", "capacity": "10", "points": "30"}
    bad = post_form(staff, "/loyalty/events", "/loyalty/events", {**form, "ends_at": soon.strftime("%Y-%m-%dT18:00")})
    assert bad.status_code == 422 and "must end after it starts" in bad.text
    made = post_form(staff, "/loyalty/events", "/loyalty/events", form, follow_redirects=False)
    assert made.status_code == 303
    event_id = int(made.headers["location"].rsplit("/", 1)[1])
    with runtime.factory() as session:
        e = activities.event(session, event_id)
        assert e.starts_at.astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 19  # typed in shop time (UTC+8)

    customer_id = _signed_in_member(client, mailbox, seed_customer)
    home = client.get("/m/").text
    assert f'id="event-{event_id}"' in home and "Tea tasting" in home and "10 places left" in home
    said = post_form(client, "/m/", f"/m/events/{event_id}/rsvp", {"answer": "yes"}, follow_redirects=False)
    assert said.status_code == 303
    home = client.get("/m/").text
    assert "<svg" in home and "Show this code at the door." in home
    token = TICKET.search(home).group(1)

    door = f"/loyalty/events/{event_id}"
    first = post_form(staff, door, f"{door}/check-ins", {"token": token})
    assert first.status_code == 200 and f"Checked in: member {customer_id}" in first.text
    again = post_form(staff, door, f"{door}/check-ins", {"token": token})
    assert again.status_code == 409 and "already used" in again.text
    forged = post_form(staff, door, f"{door}/check-ins", {"token": token[:-4] + "0000"})
    assert forged.status_code == 422 and "not a ticket" in forged.text
    with runtime.factory() as session:
        assert store.balance_of(session, customer_id)["available"] == 30
    timeline = staff.get(f"/customers/{customer_id}").text
    assert "attended Tea tasting" in timeline
    assert 'data-section="activities"' in timeline and f'href="/loyalty/events/{event_id}"' in timeline


def test_trial_applied_on_the_member_page_then_picked_and_shipped(app, client, make_staff, mailbox, seed_customer,
                                                                   runtime):
    now = dt.datetime.now(dt.UTC)
    with transaction(runtime.factory) as session:
        trial_id = activities.create_trial(session, "t", title="New oolong", sku="TEA-9", quantity=1,
                                           apply_from=now - dt.timedelta(days=1),
                                           apply_until=now + dt.timedelta(days=1)).id
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    assert "Product trial: New oolong" in client.get("/m/").text
    applied = post_form(client, "/m/", f"/m/trials/{trial_id}/applications", follow_redirects=False)
    assert applied.status_code == 303 and "Applied" in client.get("/m/").text

    staff = _staff(app, make_staff, "operations")
    page = f"/loyalty/trials/{trial_id}"
    too_many = post_form(staff, page, f"{page}/picks", {"count": "2"})
    assert too_many.status_code == 422 and "only 1 waiting applicants match" in too_many.text
    assert post_form(staff, page, f"{page}/picks", {"count": "1"}, follow_redirects=False).status_code == 303
    with runtime.factory() as session:
        [app_row] = activities.applications(session, trial_id)
    assert post_form(staff, page, f"{page}/applications/{app_row.id}/shipment",
                     follow_redirects=False).status_code == 303
    assert "Shipped" in staff.get(page).text
    assert "Shipped" in client.get("/m/").text
    assert customer_id == app_row.customer_id


def test_door_staff_without_loyalty_set_up_rights(app, make_staff):
    staff = _staff(app, make_staff, "service")
    assert staff.get("/loyalty/events").status_code == 403


def test_invitations_campaign_made_on_the_campaigns_page_with_the_event_number(app, make_staff, runtime):
    now = dt.datetime.now(dt.UTC)
    with transaction(runtime.factory) as session:
        event_id = activities.create_event(session, "t", kind="member_day", title="Member day", place="online shop",
                                           starts_at=now + dt.timedelta(days=2), ends_at=now + dt.timedelta(days=3),
                                           capacity=100).id
    staff = _staff(app, make_staff)
    assert "/care/campaigns" in staff.get(f"/loyalty/events/{event_id}").text
    form = {"name": "Invite", "trigger": "member_event", "channel": "email", "template": "invite",
            "purpose": "marketing"}
    missing = post_form(staff, "/care/campaigns", "/care/campaigns", form)
    assert missing.status_code == 422 and "event_id" in missing.text
    made = post_form(staff, "/care/campaigns", "/care/campaigns", {**form, "days": str(event_id)},
                     follow_redirects=False)
    assert made.status_code == 303
    from guanxi.care import campaigns

    with runtime.factory() as session:
        row = campaigns.get_campaign(session, int(made.headers["location"].rsplit("/", 1)[1]))
        assert row.trigger == "member_event" and row.params == {"event_id": event_id}
