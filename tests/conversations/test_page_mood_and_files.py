"""The conversation page: the customer's mood beside the reply box (scored on arrival), files, the desk's 质检."""

from __future__ import annotations

import html
import re

from guanxi.conversations import threads
from guanxi.conversations.models import ConversationMessage
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from tests.conversations.test_pages import _staff
from tests.web.forms import csrf_of

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(100))


def _mood(html: str) -> str:
    return re.search(r'data-mood="(\w+)"', html).group(1)


def test_negative_chinese_and_positive_english_show_their_labels(client, app, runtime, conv_cfg, make_customer):
    app.dependency_overrides[get_conversation_settings] = lambda: conv_cfg
    cid, _, _ = make_customer()
    other, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        angry = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid, address="oA")
        threads.receive(s, runtime.cipher, conv_cfg, angry, "太差了，质量很烂，我要退款，再也不买了！")
        happy = threads.thread_for(s, runtime.cipher, "weibo_dm", customer_id=other, address="w1")
        threads.receive(s, runtime.cipher, conv_cfg, happy, "Thank you so much, the tea is wonderful and arrived fast!")
        angry_id, happy_id = angry.id, happy.id
    with runtime.factory() as s:   # stored on arrival, so the page reads it instead of scoring again
        [m] = threads.messages_of(s, angry_id)
        assert m.sentiment_label == "negative" and m.sentiment_score < 0

    _staff(client, runtime, locale="en")
    page = client.get(f"/inbox/{angry_id}")
    assert page.status_code == 200 and _mood(page.text) == "negative" and "Customer's mood" in html.unescape(page.text)
    page = client.get(f"/inbox/{happy_id}")
    assert _mood(page.text) == "positive" and ">Positive<" in page.text

    # the page shows the stored figure: change it in the table and the page follows
    with transaction(runtime.factory) as s:
        for m in threads.messages_of(s, happy_id):
            m.sentiment_score, m.sentiment_label = -0.9, "negative"
    fragment = client.get(f"/inbox/{happy_id}/messages", headers={"HX-Request": "true"})
    assert _mood(fragment.text) == "negative" and "<html" not in fragment.text
    seen = int(re.search(r"seen=(\d+)", fragment.text).group(1))
    assert client.get(f"/inbox/{happy_id}/messages", params={"seen": seen}).status_code == 204   # nothing new
    with transaction(runtime.factory) as s:
        threads.receive(s, runtime.cipher, conv_cfg, threads.get(s, happy_id), "Where is my parcel?")
    newer = client.get(f"/inbox/{happy_id}/messages", params={"seen": seen}, headers={"HX-Request": "true"})
    assert newer.status_code == 200 and "Where is my parcel?" in newer.text

    client.cookies.clear()
    _staff(client, runtime, locale="zh-CN")
    page = client.get(f"/inbox/{angry_id}")
    assert "客户情绪" in page.text and ">负面<" in page.text
    app.dependency_overrides.pop(get_conversation_settings, None)


def test_page_shows_the_visitors_file_and_the_agent_sends_one(client, app, runtime, conv_cfg):
    app.dependency_overrides[get_conversation_settings] = lambda: conv_cfg
    visitor = {"X-Chat-Visitor": client.post("/api/v1/chat/visitors").json()["visitor"]}
    r = client.post("/api/v1/chat/attachments", headers=visitor, files={"file": ("damage.png", PNG, "image/png")})
    assert r.status_code == 201, r.text
    att_id = r.json()["attachments"][0]["id"]
    with runtime.factory() as s:
        conv_id = s.get(ConversationMessage, r.json()["id"]).conversation_id
    _staff(client, runtime)
    page = client.get(f"/inbox/{conv_id}")
    assert f'src="/inbox/{conv_id}/attachments/{att_id}"' in page.text and "damage.png" in page.text
    img = client.get(f"/inbox/{conv_id}/attachments/{att_id}")
    assert img.status_code == 200 and img.content == PNG

    token = csrf_of(page.text)
    r = client.post(f"/inbox/{conv_id}/reply", follow_redirects=False, data={"csrf_token": token, "body": "exe?"},
                    files={"file": ("tool.png", b"MZ\x90\x00" * 8, "image/png")})
    assert r.status_code == 422 and "not an allowed file" in r.text
    r = client.post(f"/inbox/{conv_id}/reply", follow_redirects=False, data={"csrf_token": token, "body": "退货单"},
                    files={"file": ("return.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert r.status_code == 303, r.text
    last = client.get("/api/v1/chat/messages", headers=visitor).json()["messages"][-1]
    assert last["text"] == "退货单" and last["attachments"][0]["filename"] == "return.pdf"
    app.dependency_overrides.pop(get_conversation_settings, None)


def test_a_rude_reply_is_refused_by_the_desks_check(client, app, runtime, conv_cfg, make_customer):
    app.dependency_overrides[get_conversation_settings] = lambda: conv_cfg
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        conv = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid, address="oB")
        threads.receive(s, runtime.cipher, conv_cfg, conv, "还没发货？")
        conv_id = conv.id
    _staff(client, runtime)
    token = csrf_of(client.get(f"/inbox/{conv_id}").text)
    r = client.post(f"/inbox/{conv_id}/reply", follow_redirects=False, data={"csrf_token": token, "body": "爱买不买"})
    assert r.status_code == 422 and "爱买不买" in r.text
    with runtime.factory() as s:
        assert not [m for m in threads.messages_of(s, conv_id) if m.direction == "out"]
    app.dependency_overrides.pop(get_conversation_settings, None)
