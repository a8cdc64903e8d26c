"""The inbox page: list, a conversation with the customer beside it, reply, knowledge-base link, ticket; zh-CN."""

from __future__ import annotations

import uuid

from guanxi.conversations import threads
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from tests.web.forms import PASSWORD, csrf_of, sign_in


def _staff(client, runtime, role="service", locale="en"):
    from guanxi.staff import service as staff_service

    email = f"{role}-{uuid.uuid4().hex[:6]}@shop.example"
    with transaction(runtime.factory) as s:
        staff_service.create_user(s, email=email, password=PASSWORD, role=role, locale=locale)
    assert sign_in(client, email).status_code == 303


def test_agent_answers_from_the_inbox_with_a_knowledge_base_link(client, app, auth, runtime, conv_cfg, make_customer):
    app.dependency_overrides[get_conversation_settings] = lambda: conv_cfg
    cid, _, _ = make_customer(tags=["vip"], order=True)
    r = client.post("/api/v1/kb/articles", headers=auth("service"), json={
        "slug": "returns", "locale": "zh-CN", "title": "七天无理由退货", "body": "签收七天内可无理由退货。"})
    article_id = r.json()["id"]
    with transaction(runtime.factory) as s:
        conv = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid, address="oX")
        threads.receive(s, runtime.cipher, conv_cfg, conv, "可以退货吗")
        conv_id = conv.id
    _staff(client, runtime)
    page = client.get("/inbox")
    assert page.status_code == 200 and f'data-conversation="{conv_id}"' in page.text
    page = client.get(f"/inbox/{conv_id}", params={"kb": "退货"})
    assert page.status_code == 200 and "可以退货吗" in page.text and "七天无理由退货" in page.text
    assert "Open tickets" in page.text and "Last orders" in page.text
    token = csrf_of(page.text)
    r = client.post(f"/inbox/{conv_id}/reply", follow_redirects=False, data={"csrf_token": token, "article_id": str(article_id),
                                                        "body": "七天无理由退货: /help/zh-CN/returns"})
    assert r.status_code == 303, r.text
    r = client.post(f"/inbox/{conv_id}/reply", follow_redirects=False, data={"csrf_token": token, "body": "全网最低价"})
    assert r.status_code == 422
    r = client.post(f"/inbox/{conv_id}/ticket", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/tickets/")
    with transaction(runtime.factory) as s:
        out = [m for m in threads.messages_of(s, conv_id) if m.direction == "out"]
        assert out[0].article_id == article_id
    app.dependency_overrides.pop(get_conversation_settings, None)


def test_inbox_in_chinese_and_closed_to_other_roles(client, runtime):
    _staff(client, runtime, locale="zh-CN")
    page = client.get("/inbox")
    assert page.status_code == 200 and "会话收件箱" in page.text
    client.cookies.clear()
    _staff(client, runtime, role="analyst")
    assert client.get("/inbox").status_code == 403
