"""Knowledge base and canned replies: Chinese and English search, versions, rewrite flags, public help."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from guanxi.conversations import search_text

ARTICLES = [
    ("size-chart", "zh-CN", "尺码表", "上衣尺码：S 码适合身高 155-160，M 码 160-165，L 码 165-170。裤装请参考腰围。"),
    ("returns", "zh-CN", "七天无理由退货", "签收之日起七天内可申请无理由退货，商品需保持完好，运费由买家承担。"),
    ("shipping", "zh-CN", "发货与配送", "付款后 48 小时内发货，顺丰包邮，偏远地区三到五天送达。"),
    ("care", "zh-CN", "羊毛衫洗涤保养", "羊毛衫请冷水手洗，平铺晾干，不可机洗或暴晒。"),
    ("size-chart", "en", "Size chart", "Tops: S fits height 155-160 cm, M 160-165, L 165-170. For trousers see waist."),
    ("returns", "en", "7-day no-reason returns", "Return any item within seven days of delivery; keep it unused."),
    ("shipping", "en", "Shipping and delivery", "We ship within 48 hours of payment by SF Express, free of charge."),
]
# A small labelled set: the customer's question and the article that answers it.
LABELLED = [
    ("我身高163穿什么码", "size-chart"),
    ("衣服不喜欢可以退吗", "returns"),
    ("什么时候发货，几天到", "shipping"),
    ("羊毛衫能机洗吗", "care"),
    ("which size should I order for 162 cm", "size-chart"),
    ("can I return it if I don't like it", "returns"),
    ("how long does shipping take", "shipping"),
]


@pytest.fixture
def kb(client, auth):
    headers = auth("service")
    ids = {}
    for slug, locale, title, body in ARTICLES:
        r = client.post("/api/v1/kb/articles", json={"slug": slug, "locale": locale, "title": title, "body": body,
                                                     "category": "policy"}, headers=headers)
        assert r.status_code == 200, r.text
        ids[(slug, locale)] = r.json()["id"]
    return ids


def test_search_ranks_the_right_article_first_on_a_labelled_set(client, auth, kb):
    headers = auth("service")
    right = 0
    for question, slug in LABELLED:
        hits = client.get("/api/v1/kb/search", params={"q": question}, headers=headers).json()
        right += bool(hits) and hits[0]["slug"] == slug
    assert right == len(LABELLED)


def test_versions_guard_and_public_help(client, auth, kb):
    headers = auth("content")
    aid = kb[("returns", "en")]
    body = {"slug": "returns", "locale": "en", "title": "Returns", "body": "Within 7 days of delivery.",
            "expected_version": 1}
    assert client.post("/api/v1/kb/articles", json=body, headers=headers).json()["version"] == 2
    assert client.post("/api/v1/kb/articles", json=body, headers=headers).status_code == 409
    versions = client.get(f"/api/v1/kb/articles/{aid}/versions", headers=auth("service")).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert client.post("/api/v1/kb/articles", json=body, headers=auth("analyst")).status_code == 403
    help_hits = client.get("/api/v1/help/articles", params={"q": "退货", "locale": "zh-CN"}).json()
    assert help_hits[0]["url"] == "/help/zh-CN/returns"


def test_article_sent_then_ticket_is_flagged_for_rewrite(client, runtime, auth, kb, make_customer, conv_cfg):
    from guanxi.conversations import threads
    from guanxi.db import transaction

    staff = auth("service")
    aid = kb[("returns", "zh-CN")]
    for _ in range(5):
        cid, _, _ = make_customer()
        with transaction(runtime.factory) as s:
            conv = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid)
            threads.receive(s, runtime.cipher, conv_cfg, conv, "怎么退货")
            conv_id = conv.id
        assert client.post(f"/api/v1/conversations/{conv_id}/replies", json={"body": "请看退货说明", "article_id": aid},
                           headers=staff).status_code == 201
    assert client.post(f"/api/v1/conversations/{conv_id}/ticket", json={}, headers=staff).status_code == 201
    assert client.post(f"/api/v1/conversations/{conv_id - 1}/ticket", json={}, headers=staff).status_code == 201
    flagged = client.get("/api/v1/kb/articles", params={"needs_rewrite": "true"}, headers=staff).json()
    assert [(a["id"], a["sent_count"], a["ticket_after_count"]) for a in flagged] == [(aid, 5, 2)]


def test_canned_replies_by_key_or_words(client, auth):
    headers = auth("service")
    for key, locale, title, body in [("greet", "zh-CN", "问候", "您好 {name}，很高兴为您服务"),
                                     ("greet", "en", "Greeting", "Hello {name}, happy to help"),
                                     ("late", "zh-CN", "物流延迟致歉", "非常抱歉快递延迟了，我们已催促快递公司")]:
        assert client.post("/api/v1/canned-replies", json={"key": key, "locale": locale, "title": title, "body": body},
                           headers=headers).status_code == 200
    assert [r["key"] for r in client.get("/api/v1/canned-replies", params={"q": "快递延迟"}, headers=headers).json()] == ["late"]
    assert len(client.get("/api/v1/canned-replies", params={"q": "greet", "locale": "en"}, headers=headers).json()) == 1


def test_terms_for_chinese_and_english():
    assert "尺码" in search_text.terms("我想问尺码") and "returns" not in search_text.terms("Returns")
    assert "return" in search_text.terms("Returns")


@given(st.text(max_size=80))
def test_terms_never_fail_and_rank_only_matches(text):
    search_text.terms(text)
    for i, score in search_text.rank(text, ["尺码表 size chart", "退货 returns"]):
        assert score > 0 and i in (0, 1)


def test_suggestions_rank_articles_and_past_answers(client, runtime, auth, kb, make_customer, conv_cfg):
    from guanxi.conversations import threads
    from guanxi.db import transaction

    old, _, _ = make_customer()
    new, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        past = threads.thread_for(s, runtime.cipher, "wechat", customer_id=old)
        threads.receive(s, runtime.cipher, conv_cfg, past, "羊毛衫可以机洗吗")
        threads.reply(s, runtime.cipher, past, "请冷水手洗，平铺晾干", "agent:ann")
        threads.update(s, past, {"status": "closed"})
        conv = threads.thread_for(s, runtime.cipher, "livechat", customer_id=new)
        threads.receive(s, runtime.cipher, conv_cfg, conv, "羊毛衫能不能机洗")
        conv_id = conv.id
    got = client.get(f"/api/v1/conversations/{conv_id}/suggestions", headers=auth("service")).json()
    assert got["articles"][0]["slug"] == "care"
    assert got["answers"][0]["answer"] == "请冷水手洗，平铺晾干"


def test_public_help_pages(client, kb):
    page = client.get("/help", params={"q": "退货"}, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "/help/zh-CN/returns" in page.text
    article = client.get("/help/zh-CN/returns")
    assert article.status_code == 200 and "签收之日起七天内" in article.text
    assert client.get("/help/en/no-such").status_code == 404
