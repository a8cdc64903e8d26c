"""Configurable multi-question surveys on SQLite and PostgreSQL: definitions, single-use answers,
a low rating or an NPS detractor opening a ticket, and the phone page with every question."""

from __future__ import annotations

import re

from sqlalchemy import select

from guanxi.service.models import SurveyResponse

QUESTIONS = [
    {"key": "overall", "kind": "rating", "text_en": "How was your order?", "text_zh": "您对这笔订单满意吗？"},
    {"key": "recommend", "kind": "nps", "text_en": "Would you recommend us?", "text_zh": "您会推荐我们吗？"},
    {"key": "channel", "kind": "choice", "text_en": "Where did you find us?", "text_zh": "您从哪里知道我们？",
     "options": [{"value": "wechat", "en": "WeChat", "zh": "微信"}, {"value": "friend", "en": "A friend", "zh": "朋友"}]},
    {"key": "why", "kind": "text", "text_en": "Anything else?", "text_zh": "还有什么想说的？", "required": False},
]


def _define(client, h, code="post_purchase", questions=QUESTIONS):
    return client.post("/api/v1/service/survey-definitions", headers=h,
                       json={"code": code, "title_en": "After your order", "title_zh": "购物回访", "questions": questions})


def _send(client, h, cid, code="post_purchase"):
    r = client.post(f"/api/v1/service/survey-definitions/{code}/sends", headers=h, json={"customer_id": cid})
    assert r.status_code == 201, r.text
    return r.json()["link"].rsplit("/", 1)[1]


def test_definition_is_checked_and_idempotent(client, auth, desk):
    h = auth("service")
    r = _define(client, h)
    assert r.status_code == 201, r.text
    assert [q["kind"] for q in r.json()["questions"]] == ["rating", "nps", "choice", "text"]
    assert _define(client, h).status_code == 200                     # the same again: unchanged
    assert _define(client, h, questions=QUESTIONS[:1]).status_code == 409
    bad = [
        [{**QUESTIONS[0]}, {**QUESTIONS[0]}],                          # the same key twice
        [{**QUESTIONS[2], "options": [QUESTIONS[2]["options"][0]]}],  # a choice with one option
        [{**QUESTIONS[0], "options": QUESTIONS[2]["options"]}],       # options on a rating
        [{**QUESTIONS[0], "kind": "stars"}],
    ]
    for questions in bad:
        r = _define(client, h, code="other", questions=questions)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert _define(client, h, code="nps").status_code == 422         # the built-in names are taken
    r = client.patch("/api/v1/service/survey-definitions/post_purchase", headers=h, json={"active": False})
    assert r.json()["active"] is False
    r = client.post("/api/v1/service/survey-definitions/post_purchase/sends", headers=h, json={"customer_id": 1})
    assert r.status_code == 404


def test_answers_stored_once_per_question_and_a_low_rating_opens_a_ticket(client, auth, customer, desk, runtime):
    cid, _, _ = customer()
    h = auth("service")
    assert _define(client, h).status_code == 201
    token = _send(client, h, cid)
    url = f"/api/v1/surveys/{token}/responses"
    assert client.post(url, json={"answers": {"overall": 4}}).status_code == 422            # required ones missing
    r = client.post(url, json={"answers": {"overall": 6, "recommend": 9, "channel": "friend"}})
    assert r.status_code == 422 and "overall" in r.json()["detail"]
    r = client.post(url, json={"answers": {"overall": 4, "recommend": 9, "channel": "tv"}})
    assert r.status_code == 422 and "wechat" in r.json()["detail"]
    assert client.post(url, json={"answers": {"overall": 4, "recommend": 9, "channel": "friend", "x": 1}}).status_code == 422
    # The old single-score endpoint refuses a multi-question survey instead of half-answering it.
    assert client.post(f"/api/v1/surveys/{token}/answers", json={"score": 5}).status_code == 422

    r = client.post(url, json={"answers": {"overall": 2, "recommend": 8, "channel": "wechat", "why": "盒子压坏了"}})
    assert r.status_code == 201, r.text
    assert r.json()["answered"] == 4
    follow = r.json()["follow_up_ticket_id"]
    ticket = client.get(f"/api/v1/tickets/{follow}", headers=h).json()
    assert ticket["source"] == "survey" and ticket["customer_id"] == cid and "盒子压坏了" in ticket["messages"][0]["body"]

    again = client.post(url, json={"answers": {"overall": 5, "recommend": 10, "channel": "wechat"}})
    assert again.status_code == 409 and "already been answered" in again.json()["detail"]
    with runtime.factory() as s:
        rows = s.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == r.json()["id"])).all()
        assert {row.question: (row.score, row.choice, row.text) for row in rows} == {
            "overall": (2, None, None), "recommend": (8, None, None), "channel": (None, "wechat", None),
            "why": (None, None, "盒子压坏了")}


def test_a_detractor_in_a_custom_survey_opens_a_ticket_and_a_happy_one_does_not(client, auth, customer, desk):
    cid, _, _ = customer()
    h = auth("service")
    _define(client, h)
    happy = client.post(f"/api/v1/surveys/{_send(client, h, cid)}/responses",
                        json={"answers": {"overall": 5, "recommend": 7, "channel": "wechat"}})
    assert happy.status_code == 201 and happy.json()["follow_up_ticket_id"] is None
    sad = client.post(f"/api/v1/surveys/{_send(client, h, cid)}/responses",
                      json={"answers": {"overall": 3, "recommend": 6, "channel": "wechat"}})
    assert sad.json()["follow_up_ticket_id"]


def test_the_phone_page_shows_every_question_and_takes_one_answer(client, auth, customer, desk):
    cid, _, _ = customer()
    h = auth("service")
    _define(client, h)
    token = _send(client, h, cid)
    page = client.get(f"/s/{token}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    for text in ("您对这笔订单满意吗？", "您会推荐我们吗？", "微信", "还有什么想说的？"):
        assert text in page.text
    assert 'name="viewport"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(f"/s/{token}", data={"csrf_token": csrf, "q_overall": "5", "q_channel": "friend"})
    assert r.status_code == 422 and "recommend" in r.text                    # a required one was skipped
    r = client.post(f"/s/{token}", data={"csrf_token": csrf, "q_overall": "5", "q_recommend": "10",
                                         "q_channel": "friend", "q_why": ""})
    assert r.status_code == 200 and "谢谢" in r.text
    r = client.post(f"/s/{token}", data={"csrf_token": csrf, "q_overall": "1", "q_recommend": "0",
                                         "q_channel": "friend"})
    assert r.status_code == 409 and "此问卷已经回答过了" in r.text
    assert "already been answered" in client.get(f"/s/{token}", headers={"Accept-Language": "en"}).text


def test_custom_answers_are_exported_and_their_text_erased(client, auth, customer, desk, runtime):
    from guanxi.customers import hooks

    cid, _, _ = customer()
    h = auth("service")
    _define(client, h)
    token = _send(client, h, cid)
    client.post(f"/api/v1/surveys/{token}/responses",
                json={"answers": {"overall": 4, "recommend": 9, "channel": "friend", "why": "我叫王芳，电话 13800138000"}})
    with runtime.factory() as s:
        exported = [e for e in hooks.exporters["tickets"](s, cid) if e.get("survey") == "custom"]
        assert exported[0]["answers"] == {"overall": 4, "recommend": 9, "channel": "friend",
                                          "why": "我叫王芳，电话 13800138000"}
        hooks.erasers["tickets"](s, cid)
        s.commit()
        rows = {r.question: (r.score, r.choice, r.text) for r in s.scalars(select(SurveyResponse))}
    assert rows == {"overall": (4, None, None), "recommend": (9, None, None), "channel": (None, "friend", None),
                    "why": (None, None, None)}
