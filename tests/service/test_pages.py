"""Service desk pages: inbox, ticket (take, canned reply, resolve with goodwill), survey page, member section."""

from __future__ import annotations

import re

from sqlalchemy import select

from guanxi.db import transaction
from guanxi.service.models import Survey
from tests.web.forms import csrf_of, post_form, sign_in


def _ticket(client, auth, **fields):
    body = {"subject": "杯子碎了", "body": "快递外箱破损，杯子碎了", **fields}
    reply = client.post("/api/v1/tickets", json=body, headers=auth("service"))
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def _staff(client, runtime, role="service", locale="en"):
    import uuid

    from guanxi.staff import service as staff_service
    from tests.web.forms import PASSWORD

    email = f"{role}-{uuid.uuid4().hex[:6]}@shop.example"
    with transaction(runtime.factory) as s:
        staff_service.create_user(s, email=email, password=PASSWORD, role=role, locale=locale)
    assert sign_in(client, email).status_code == 303
    return email


def test_agent_takes_answers_with_canned_reply_and_resolves_with_goodwill(client, auth, runtime, customer, desk):
    cid, _, _ = customer()
    tid = _ticket(client, auth, customer_id=cid)
    _staff(client, runtime)
    inbox = client.get("/tickets")
    assert inbox.status_code == 200 and f'data-ticket="{tid}"' in inbox.text
    assert "Tickets" in inbox.text
    page = f"/tickets/{tid}"
    r = post_form(client, page, f"{page}/take", follow_redirects=False)
    assert r.status_code == 303
    r = post_form(client, page, f"{page}/reply", {"template": "apology", "body": ""}, follow_redirects=False)
    assert r.status_code == 303
    html = client.get(page).text
    assert "we are sorry about this" in html and "Dear 王芳" in html
    assert re.search(r'id="ticket-status">Open<', html)
    r = post_form(client, page, f"{page}/resolve", {"root_cause": "carrier", "resolution_type": "points",
                                                   "goodwill_points": "100"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    html = client.get(page).text
    assert 'id="ticket-status">Resolved<' in html and "100 goodwill points" in html


def test_goodwill_over_the_limit_comes_back_as_the_form(client, auth, runtime, customer, desk):
    cid, _, _ = customer()
    tid = _ticket(client, auth, customer_id=cid)
    _staff(client, runtime)
    r = post_form(client, f"/tickets/{tid}", f"/tickets/{tid}/resolve",
                  {"root_cause": "carrier", "resolution_type": "points", "goodwill_points": "9999"})
    assert r.status_code == 422 and "at most 500" in r.text


def test_inbox_in_chinese_and_forbidden_for_content(client, auth, runtime, desk):
    _ticket(client, auth)
    _staff(client, runtime, locale="zh-CN")
    html = client.get("/tickets").text
    assert "工单" in html and "优先级" in html
    client.cookies.clear()
    _staff(client, runtime, role="content")
    assert client.get("/tickets").status_code == 403


def test_survey_page_single_use_and_negative_answer(client, auth, runtime, customer, desk):
    cid, _, _ = customer()
    tid = _ticket(client, auth, customer_id=cid)
    link = client.post(f"/api/v1/tickets/{tid}/resolution", headers=auth("service"),
                       json={"root_cause": "carrier", "resolution_type": "explanation"}).json()["survey_link"]
    path = link.split("localhost:8000", 1)[1]
    page = client.get(path)      # the customer's phone, in the shop's default language (zh-CN)
    assert page.status_code == 200 and 'name="score"' in page.text and "您对我们的服务满意吗" in page.text
    r = client.post(path, data={"score": "2", "comment": "不满意", "csrf_token": csrf_of(page.text)},
                    headers={"Accept-Language": "en"})
    assert r.status_code == 200 and "Thank you" in r.text
    with runtime.factory() as s:
        survey = s.scalar(select(Survey).where(Survey.ticket_id == tid))
        assert survey.score == 2 and survey.follow_up_ticket_id
    again = client.get(path, headers={"Accept-Language": "en"})
    assert "already been answered" in again.text
    assert client.get("/s/unknown-token-123").status_code == 404


def test_member_page_lists_my_tickets(client, auth, runtime, customer, desk):
    from guanxi.web import member_codes

    cid, _, _ = customer()
    _ticket(client, auth, customer_id=cid, subject="我的包裹")
    with transaction(runtime.factory) as s:
        token = member_codes.start_session(s, runtime.secrets.session_secret, cid)
    client.cookies.set("guanxi_member", token)
    html = client.get("/m/").text
    assert "我的包裹" in html


def test_member_opens_a_ticket_from_the_member_page(client, auth, runtime, customer, desk):
    from guanxi.web import member_codes

    cid, _, _ = customer()
    with transaction(runtime.factory) as s:
        client.cookies.set("guanxi_member", member_codes.start_session(s, runtime.secrets.session_secret, cid))
    home = client.get("/m/")
    assert 'id="member-ticket-form"' in home.text
    r = client.post("/m/tickets", data={"subject": "尺码不对", "body": "收到的尺码不对，想换货",
                                        "csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    mine = client.get("/api/v1/tickets", params={"customer_id": cid}, headers=auth("service")).json()["items"]
    assert [(t["subject"], t["channel"], t["subcategory"]) for t in mine] == [("尺码不对", "member_page", "not_as_described")]
    assert "尺码不对" in client.get("/m/").text
    r = client.post("/m/tickets", data={"subject": "", "body": "", "csrf_token": csrf_of(home.text)})
    assert r.status_code == 422
