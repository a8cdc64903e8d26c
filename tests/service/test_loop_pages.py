"""Pages for incidents, improvement actions and quality checks: both languages, the forms do what they say,
and a role without tickets.work gets the 403 page."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from guanxi.care.models import OutboxMessage
from guanxi.db import transaction
from guanxi.service.models import ImprovementAction, QualityReview, Ticket
from tests.web.forms import csrf_of, post_form

from .test_pages import _staff, _ticket

PAGES = ["/service/incidents", "/service/actions", "/service/quality"]


def _mail_to(box, address: str, timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not box.to(address):
        time.sleep(0.05)
    return box.to(address)


def _resolved_ticket(client, auth, **fields) -> int:
    tid = _ticket(client, auth, **fields)
    reply = client.post(f"/api/v1/tickets/{tid}/resolution", headers=auth("service"),
                        json={"root_cause": "carrier", "resolution_type": "explanation"})
    assert reply.status_code == 200, reply.text
    return tid


@pytest.mark.parametrize("locale, words", [("en", ["Incidents", "Improvement actions", "Quality checks"]),
                                           ("zh-CN", ["事件", "改进措施", "质检"])])
def test_pages_render_in_both_languages_and_are_in_the_menu(client, runtime, desk, locale, words):
    _staff(client, runtime, locale=locale)
    for path, word in zip(PAGES, words, strict=True):
        reply = client.get(path)
        assert reply.status_code == 200, (path, reply.text[:500])
        assert f"<h1>{word}</h1>" in reply.text
        assert f'href="{path}"' in re.search(r'<nav class="menu".*?</nav>', reply.text, re.S).group(0)


def test_a_role_without_tickets_work_gets_the_403_page(client, auth, runtime, desk):
    tid = _resolved_ticket(client, auth)
    _staff(client, runtime, role="analyst")
    for path in [*PAGES, "/service/incidents/1", f"/service/quality/{tid}"]:
        assert client.get(path).status_code == 403, path
    token = csrf_of(client.get("/account").text)
    assert client.post("/service/incidents", data={"title": "x", "kind": "site", "ticket_ids": [str(tid)],
                                                   "csrf_token": token}).status_code == 403
    assert client.post(f"/service/quality/{tid}", data={"passed": ["tone"], "csrf_token": token}).status_code == 403


def test_group_answer_and_resolve_an_incident_then_one_customer_reopens_theirs(client, auth, runtime, customer,
                                                                               mailbox, desk):
    cid, _, _ = customer(email="pay@example.com")
    other, _, _ = customer(email="pay2@example.com")
    first = _ticket(client, auth, subject="付款失败", body="支付时一直报错，扣款了", customer_id=cid, channel="email")
    second = _ticket(client, auth, subject="Payment failed", body="I was charged twice", customer_id=other)
    _staff(client, runtime)
    page = client.get("/service/incidents")
    # Two payment tickets at once look like one outage: they come ticked.
    assert re.search(rf'value="{first}" checked', page.text) and re.search(rf'value="{second}" checked', page.text)
    r = client.post("/service/incidents", data={"title": "支付通道故障", "kind": "payment",
                                                "ticket_ids": [str(first), str(second)],
                                                "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    detail = r.headers["location"]
    html = client.get(detail).text
    assert f'data-ticket="{first}"' in html and f'data-ticket="{second}"' in html
    assert "支付通道故障" in client.get("/service/incidents").text

    r = post_form(client, detail, f"{detail}/reply", {"body": "The payment provider is back; no double charges."},
                  follow_redirects=False)
    assert r.status_code == 303
    # The e-mail customer gets the answer by e-mail; the other reads it where they wrote.
    assert any("no double charges" in m.get_body(("plain",)).get_content() for m in _mail_to(mailbox, "pay@example.com"))
    assert not mailbox.to("pay2@example.com")
    r = post_form(client, detail, f"{detail}/resolve", {"root_cause": "payment_provider", "note": "fixed"},
                  follow_redirects=False)
    assert r.status_code == 303
    html = client.get(detail).text
    assert 'id="incident-status">Resolved<' in html and "Answer all" not in html
    # From the resolved incident to an improvement action with its root cause filled in.
    assert 'href="/service/actions?root_cause=payment_provider"' in html
    assert '<option value="payment_provider" selected>' in client.get("/service/actions?root_cause=payment_provider").text
    # Each customer gets their own ticket's CSAT link.
    for address, tid in (("pay@example.com", first), ("pay2@example.com", second)):
        bodies = [m.get_body(("plain",)).get_content() for m in _mail_to(mailbox, address)]
        assert any(f"#{tid} is resolved" in b and re.search(r"/s/[\w-]+", b) for b in bodies), (address, bodies)
    with runtime.factory() as s:
        rows = {t.id: t for t in s.scalars(select(Ticket).where(Ticket.id.in_([first, second])))}
        assert {t.status for t in rows.values()} == {"resolved"}
        assert {t.root_cause for t in rows.values()} == {"payment_provider"}
    # The customer answers one ticket: only that ticket reopens.
    reply = client.post(f"/api/v1/tickets/{first}/messages", headers=auth("service"),
                        json={"direction": "in", "body": "还是扣了两次"})
    assert reply.status_code == 201
    with runtime.factory() as s:
        assert s.get(Ticket, first).status == "open" and s.get(Ticket, second).status == "resolved"
    # A resolved incident takes no more answers.
    r = post_form(client, detail, f"{detail}/resolve", {"root_cause": "other"})
    assert r.status_code == 409 and "already resolved" in r.text


def test_grouping_without_tickets_or_with_unknown_ones_comes_back_as_the_form(client, runtime, desk):
    _staff(client, runtime)
    r = post_form(client, "/service/incidents", "/service/incidents", {"title": "Outage", "kind": "site"})
    assert r.status_code == 422 and "choose at least one ticket" in r.text and 'value="Outage"' in r.text
    r = post_form(client, "/service/incidents", "/service/incidents",
                  {"title": "Outage", "kind": "site", "ticket_ids": ["999999"]})
    assert r.status_code == 422 and "no tickets [999999]" in r.text
    with runtime.factory() as s:
        from guanxi.service.models import Incident

        assert s.scalar(select(Incident.id)) is None   # nothing half-written


def test_create_an_action_move_it_and_the_complainants_are_told(client, auth, runtime, customer, desk):
    cid, _, _ = customer()
    _resolved_ticket(client, auth, customer_id=cid)          # root cause "carrier", logistics.damaged
    _staff(client, runtime)
    r = post_form(client, "/service/actions", "/service/actions",
                  {"title": "新的包装箱", "root_cause": "carrier", "subcategory": "logistics.damaged",
                   "team_id": str(desk["general"]), "due_on": "2027-01-15"}, follow_redirects=False)
    assert r.status_code == 303
    html = client.get("/service/actions").text
    row = re.search(r'<tr data-action="(\d+)">.*?</tr>', html, re.S)
    action_id = int(row.group(1))
    assert "新的包装箱" in row.group(0) and "General" in row.group(0) and "2027" in row.group(0)
    assert re.search(r'class="action-status">Open<', row.group(0))
    # The complaint rate before: one matching ticket in the 30 days before the action.
    assert ">0.23<" in row.group(0)
    r = post_form(client, "/service/actions", f"/service/actions/{action_id}/status", {"status": "done"},
                  headers={"HX-Request": "true", "HX-Target": "actions"})
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="actions">')
    assert re.search(r'class="action-status">Done<', r.text)
    with runtime.factory() as s:
        action = s.get(ImprovementAction, action_id)
        assert action.status == "done" and action.customers_told == 1
        assert s.scalar(select(OutboxMessage.customer_id).where(OutboxMessage.customer_id == cid)) == cid
    # Done is final: moving it again is refused with the reason.
    r = post_form(client, "/service/actions", f"/service/actions/{action_id}/status", {"status": "open"})
    assert r.status_code == 409 and "cannot become open" in r.text


def test_an_action_with_a_bad_date_or_root_cause_comes_back_as_the_form(client, runtime, desk):
    _staff(client, runtime)
    r = post_form(client, "/service/actions", "/service/actions",
                  {"title": "Better boxes", "root_cause": "carrier", "due_on": "15/01/2027"})
    assert r.status_code == 422 and "a date like" in r.text and 'value="Better boxes"' in r.text
    r = post_form(client, "/service/actions", "/service/actions", {"title": "Better boxes", "root_cause": "moon"})
    assert r.status_code == 422 and "is not on the list" in r.text
    with runtime.factory() as s:
        assert s.scalar(select(ImprovementAction.id)) is None


def test_score_a_sampled_ticket_and_the_scorecard_shows_it(client, auth, runtime, desk):
    tid = _resolved_ticket(client, auth)
    _staff(client, runtime, locale="zh-CN")
    html = client.get("/service/quality").text
    assert f'href="/service/quality/{tid}"' in html
    form = client.get(f"/service/quality/{tid}").text
    assert "检查清单" in form and 'value="greeting"' in form
    r = client.post(f"/service/quality/{tid}", data={"passed": ["greeting", "tone", "accurate"], "comment": "好",
                                                     "csrf_token": csrf_of(form)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/service/quality?scored={tid}"
    with runtime.factory() as s:
        review = s.scalar(select(QualityReview).where(QualityReview.ticket_id == tid))
        assert review.score == 50.0 and review.answers["greeting"] and not review.answers["resolved"]
    html = client.get("/service/quality").text
    assert f'href="/service/quality/{tid}"' not in html    # scored tickets leave the sample
    card = re.search(r'<table class="list" id="scorecard">.*?</table>', html, re.S).group(0)
    assert ">50.0<" in card and ">1<" in card
    # A second score is refused; an unknown checklist item too.
    r = client.post(f"/service/quality/{tid}", data={"passed": ["tone"], "csrf_token": csrf_of(form)})
    assert r.status_code == 409 and "reviewed already" in r.text
    r = client.post(f"/service/quality/{tid}", data={"passed": ["bribe"], "csrf_token": csrf_of(form)})
    assert r.status_code == 422


def test_the_scorecard_fragment_for_htmx(client, runtime, desk):
    _staff(client, runtime)
    r = client.get("/service/quality?days=7", headers={"HX-Request": "true", "HX-Target": "quality"})
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="quality">') and "<html" not in r.text


def test_the_quality_page_reports_both_accuracies_and_retrains(client, auth, runtime, desk):
    from tests.service.test_training import _closed_tickets
    from tests.service.test_classifier import labelled
    from guanxi.service.settings import ServiceSettings

    _staff(client, runtime)
    html = client.get("/service/quality").text
    assert re.search(r'id="suggester">Keyword rules', html) and "not trained yet" in html
    _closed_tickets(runtime, ServiceSettings(_env_file=None), labelled())
    r = post_form(client, "/service/quality", "/service/classifier", follow_redirects=False)
    assert r.status_code == 303
    facts = re.search(r'<dl class="facts" id="suggestion-accuracy">.*?</dl>', client.get("/service/quality").text,
                      re.S).group(0)
    assert "108 closed tickets" in facts and 'id="suggester">Naive Bayes<' in facts
    assert re.search(r"Keyword rules on the held-out tickets</dt><dd>\d+(\.\d)?%", facts)
    assert re.search(r"Naive Bayes on the held-out tickets</dt><dd>\d+(\.\d)?%", facts)
