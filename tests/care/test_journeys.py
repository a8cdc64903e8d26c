"""Journeys end to end with a fixed clock: entry, send, wait, a clicked? branch, the goal, repeats and refusals."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from guanxi.care.journey_runner import advance
from guanxi.care.models import JourneyMember, OutboxMessage

from .test_outbox import drain

J = "/api/v1/care/journeys"
T0 = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)     # 11:00 in Shanghai
T1 = T0 + dt.timedelta(days=2, hours=1)              # after the 2-day wait
STEPS = [
    {"id": "hello", "type": "send", "channel": "email", "template": "hello"},
    {"id": "pause", "type": "wait", "days": 2},
    {"id": "check", "type": "condition", "when": "clicked", "yes": "thanks", "no": "remind"},
    {"id": "thanks", "type": "send", "channel": "email", "template": "thanks", "next": "end"},
    {"id": "remind", "type": "send", "channel": "email", "template": "remind"},
    {"id": "end", "type": "exit"},
]


@pytest.fixture
def api(app, client, care_settings):
    app.state.care_settings = care_settings
    return client


@pytest.fixture
def templates(api, auth):
    for name, text in (("hello", "新茶上市 https://tea.example/new"), ("thanks", "谢谢您的关注"),
                       ("remind", "别错过新茶")):
        reply = api.post("/api/v1/care/templates", json={"name": name, "channel": "email", "locale": "zh-CN",
                                                         "subject": name, "body": text}, headers=auth("content"))
        assert reply.status_code == 201, reply.text


def _journey(api, auth, ids, steps=STEPS, **kw):
    return api.post(J, json={"name": "新茶旅程", "audience": {"customer_ids": ids}, "steps": steps, "goal_days": 7,
                             **kw}, headers=auth("operations"))


def _run(runtime, care, now):
    return advance(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care, now=now)


def _subjects(smtp) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for mail in smtp.messages:
        out.setdefault(mail["To"], []).append(mail["Subject"])
    return out


def _messages(runtime) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_send_wait_branch_on_click_and_leave_on_order(api, auth, runtime, smtp, care_settings, person, order,
                                                      templates):
    a, b, c = (person(email=f"{x}@j.example") for x in "abc")
    jid = _journey(api, auth, [a, b, c]).json()["id"]
    assert api.post(f"{J}/{jid}/activate", headers=auth("operations")).json()["status"] == "active"

    first = _run(runtime, care_settings, T0)
    assert first["entered"] == 3 and first["queued"] == 3
    drain(runtime, care_settings, now=T0)
    assert _subjects(smtp) == {f"{x}@j.example": ["hello"] for x in "abc"}

    # a clicks the tracked link of the first message; c orders during the wait; b does nothing.
    text = next(m for m in smtp.messages if m["To"] == "a@j.example").get_body(("plain",)).get_content()
    [link] = re.findall(r"https://shop\.example(/c/[0-9a-f.]+)", text)
    assert api.get(link, follow_redirects=False).headers["location"] == "https://tea.example/new"
    order("c@j.example", T0 + dt.timedelta(days=1))

    assert _run(runtime, care_settings, T0 + dt.timedelta(days=1))["moved"] == 0  # still waiting
    second = _run(runtime, care_settings, T1)
    assert second["converted"] == 1 and second["queued"] == 2 and second["done"] == 2
    drain(runtime, care_settings, now=T1)
    assert _subjects(smtp) == {"a@j.example": ["hello", "thanks"], "b@j.example": ["hello", "remind"],
                               "c@j.example": ["hello"]}

    counts = api.get(f"{J}/{jid}/counts", headers=auth("operations")).json()
    assert counts["entered"] == 3 and counts["done"] == 2 and counts["converted"] == 1
    by_step = {s["id"]: s for s in counts["steps"]}
    assert by_step["hello"]["sent"] == 3 and by_step["thanks"]["sent"] == 1 and by_step["remind"]["sent"] == 1
    assert by_step["hello"]["clicked"] == 1 and by_step["hello"]["opened"] == 1 and by_step["remind"]["clicked"] == 0
    with runtime.factory() as session:
        places = {m.customer_id: (m.step, m.status) for m in session.scalars(select(JourneyMember))}
    assert places == {a: ("end", "done"), b: ("end", "done"), c: ("pause", "converted")}


def test_running_twice_or_on_two_workers_queues_the_same_messages(api, auth, runtime, care_settings, person,
                                                                   templates):
    ids = [person() for _ in range(6)]
    jid = _journey(api, auth, ids).json()["id"]
    api.post(f"{J}/{jid}/activate", headers=auth("operations"))
    results = []
    workers = [threading.Thread(target=lambda: results.append(_run(runtime, care_settings, T0))) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sum(r["entered"] for r in results) == 6 and sum(r["queued"] for r in results) == 6
    assert _messages(runtime) == 6
    assert _run(runtime, care_settings, T0)["queued"] == 0
    _run(runtime, care_settings, T1)
    _run(runtime, care_settings, T1)
    assert _messages(runtime) == 12  # hello + remind each, once


def test_paused_journey_moves_nobody(api, auth, runtime, care_settings, person, templates):
    jid = _journey(api, auth, [person()]).json()["id"]
    assert _run(runtime, care_settings, T0)["entered"] == 0  # a draft lets nobody in
    api.post(f"{J}/{jid}/activate", headers=auth("operations"))
    _run(runtime, care_settings, T0)
    assert api.post(f"{J}/{jid}/pause", headers=auth("operations")).json()["status"] == "paused"
    assert _run(runtime, care_settings, T1)["moved"] == 0
    assert api.get(f"{J}/{jid}/counts", headers=auth("operations")).json()["waiting"] == 1


@pytest.mark.parametrize("steps, named", [
    ([{**STEPS[0], "next": "nowhere"}, *STEPS[1:]], "'hello'"),
    ([{"id": "x", "type": "condition", "when": "ordered", "yes": "y", "no": "x"},
      {"id": "y", "type": "send", "channel": "email", "template": "hello", "next": "x"}], "loop without a wait"),
    ([{"id": "s", "type": "send", "channel": "sms", "template": "hello"}], "no sms template named 'hello'"),
    ([{"id": "w", "type": "wait"}], "'w'"),
    ([{"id": "c", "type": "condition", "when": "tag", "yes": "c2", "no": "c2"}, {"id": "c2", "type": "exit"}],
     "needs a value"),
])
def test_bad_journey_is_refused_naming_the_step(api, auth, person, templates, steps, named):
    reply = _journey(api, auth, [person()], steps=steps)
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert named in reply.json()["detail"]
    assert api.get(J, headers=auth("operations")).json() == []


def test_a_loop_through_a_wait_is_allowed_and_roles_are_checked(api, auth, person, templates):
    steps = [{"id": "s", "type": "send", "channel": "email", "template": "hello"},
             {"id": "w", "type": "wait", "hours": 12},
             {"id": "c", "type": "condition", "when": "opened", "yes": "e", "no": "s"}, {"id": "e", "type": "exit"}]
    assert _journey(api, auth, [person()], steps=steps).status_code == 201
    assert api.get(J, headers=auth("analyst")).status_code == 403
    assert api.post(J, json={"name": "x", "steps": STEPS, "audience": {}}, headers=auth("operations")).status_code == 422
    assert api.get(f"{J}/999", headers=auth("operations")).status_code == 404


def test_export_shows_the_journey_and_erasure_takes_the_customer_out(api, auth, runtime, care_settings, person,
                                                                     templates):
    from guanxi.care import privacy_hooks  # noqa: F401  (registers the hooks)
    from guanxi.customers import privacy_hooks as _customers  # noqa: F401
    from guanxi.db import transaction
    from guanxi.privacy import requests
    from guanxi.staff.roles import SYSTEM

    cid = person()
    jid = _journey(api, auth, [cid]).json()["id"]
    api.post(f"{J}/{jid}/activate", headers=auth("operations"))
    _run(runtime, care_settings, T0)
    with transaction(runtime.factory) as session:
        doc = requests.export(session, runtime.cipher, cid, SYSTEM)
        assert "'step': 'pause'" in str(doc)
        requests.erase(session, runtime.cipher, cid, SYSTEM)
    assert _run(runtime, care_settings, T1)["moved"] == 0
    assert _messages(runtime) == 1
    with runtime.factory() as session:
        assert session.scalar(select(JourneyMember.status)) == "left"


def test_entrants_are_looked_for_hourly_moves_every_run(api, auth, runtime, care_settings, person, templates):
    person(tags=["tea"])
    reply = api.post(J, json={"name": "茶友", "audience": {"filter": {"tags": ["tea"]}}, "steps": STEPS},
                     headers=auth("operations"))
    jid = reply.json()["id"]
    api.post(f"{J}/{jid}/activate", headers=auth("operations"))
    assert _run(runtime, care_settings, T0)["entered"] == 1
    person(tags=["tea"])
    assert _run(runtime, care_settings, T0 + dt.timedelta(minutes=10))["entered"] == 0
    later = _run(runtime, care_settings, T0 + dt.timedelta(hours=1))
    assert later["entered"] == 1 and later["queued"] == 1
