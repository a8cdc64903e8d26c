"""Social pages: dashboard, mentions with moderation and replies, crisis page with status, public showcase."""

from __future__ import annotations

import datetime as dt
import uuid

from guanxi.db import transaction
from guanxi.social.ingest import MentionIn, ingest
from guanxi.social.models import Crisis, CrisisEvent
from guanxi.staff import service as staff_service
from tests.social.conftest import mention
from tests.web.forms import PASSWORD, post_form, sign_in

URL = "/api/v1/social/mentions"


def _signed_in(client, runtime, role="service", locale="en"):
    email = f"{role}-{uuid.uuid4().hex[:6]}@shop.example"
    with transaction(runtime.factory) as s:
        staff_service.create_user(s, email=email, password=PASSWORD, role=role, locale=locale)
    assert sign_in(client, email).status_code == 303


def test_dashboard_and_mentions_pages_moderate_and_reply(client, auth, runtime, social):
    ids = client.post(URL, json={"mentions": [mention(1, "质量太差了，非常失望", product_sku="MUG-1"),
                                              mention(2, "卖家是傻逼", product_sku="MUG-1")]},
                      headers=auth("tech")).json()["ids"]
    _signed_in(client, runtime)
    page = client.get("/social")
    assert page.status_code == 200 and "MUG-1" in page.text and "Sentiment trend" in page.text
    assert client.get("/social", params={"platform": "weibo"}, headers={"HX-Request": "true"}).text.lstrip().startswith("<ul")

    listing = client.get("/social/mentions")
    assert f'data-mention="{ids[0]}"' in listing.text and "never for being negative" in listing.text
    assert "Suggested" in listing.text  # the insult is pointed out to the moderator

    bad = post_form(client, "/social/mentions", f"/social/mentions/{ids[0]}/remove", {"reason": "negative"},
                    follow_redirects=False)
    assert bad.status_code == 422 and "never for being negative" in bad.text
    ok = post_form(client, "/social/mentions", f"/social/mentions/{ids[1]}/remove", {"reason": "abuse"},
                   follow_redirects=False)
    assert ok.status_code == 303
    reply = post_form(client, "/social/mentions", f"/social/mentions/{ids[0]}/reply", {"text": "抱歉，已为您处理"},
                      follow_redirects=False)
    assert reply.status_code == 303 and "抱歉，已为您处理" in client.get("/social/mentions").text


def test_crisis_page_shows_timeline_templates_and_changes_status(client, runtime, social):
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    with transaction(runtime.factory) as s:
        ingest(s, runtime.cipher, [MentionIn("weibo", "k1", "post", "曝光假货，已投诉", now, author_followers=2_000_000)])
        c = Crisis(status="open", severity="high", reasons=["keywords"], keywords={"假货": 1}, first_hour=now,
                   last_hour=now, opened_at=now)
        s.add(c)
        s.flush()
        s.add(CrisisEvent(crisis_id=c.id, kind="signal", actor="system", hour=now, at=now,
                          details={"z": 1.0, "reasons": ["keywords"]}))
        crisis_id = c.id
    _signed_in(client, runtime, "operations", "zh-CN")
    page = client.get(f"/social/crises/{crisis_id}")
    assert page.status_code == 200 and "曝光假货" in page.text and "正品说明" in page.text
    done = post_form(client, f"/social/crises/{crisis_id}", f"/social/crises/{crisis_id}/status",
                     {"status": "closed", "note": "已澄清"}, follow_redirects=False)
    assert done.status_code == 303
    assert "已澄清" in client.get(f"/social/crises/{crisis_id}").text
    assert f'data-crisis="{crisis_id}"' in client.get("/social/crises").text


def test_roles_without_social_permission_get_the_403_page(client, runtime, social):
    _signed_in(client, runtime, "tech")
    assert client.get("/social").status_code == 403


def test_public_showcase_needs_no_sign_in_and_masks_names(client, auth, social):
    client.post(URL, json={"mentions": [
        mention(1, "杯子很好看", platform="shop", kind="review", rating=5, showcase=True),
        mention(2, "不给展示的评价", platform="shop", kind="review", rating=5)]}, headers=auth("tech"))
    page = client.get("/showcase")
    assert page.status_code == 200 and "杯子很好看" in page.text and "用**" in page.text
    assert "用户1" not in page.text and "不给展示的评价" not in page.text
    assert "<h1>" not in client.get("/showcase", params={"embed": 1}).text


def test_a_console_reply_is_posted_to_the_platform_and_the_list_says_so_in_both_languages(client, auth, runtime,
                                                                                          social, loopback):
    from sqlalchemy import select

    from guanxi.social.models import Mention

    loopback.routes["/2/comments/create.json"] = lambda q: (200, {"idstr": "c-77"})
    social.connectors = {"weibo": {"base_url": loopback.url, "token": "tok"}}
    ids = client.post(URL, json={"mentions": [mention(1, "杯子很好看"), mention(2, "颜色不错")]},
                      headers=auth("tech")).json()["ids"]
    _signed_in(client, runtime, locale="zh-CN")
    bad = post_form(client, "/social/mentions", f"/social/mentions/{ids[1]}/reply", {"text": "你有病"},
                    follow_redirects=False)
    assert bad.status_code == 422 and "你有病" in bad.text  # the service desk's banned words
    ok = post_form(client, "/social/mentions", f"/social/mentions/{ids[0]}/reply", {"text": "谢谢喜欢"},
                   follow_redirects=False)
    assert ok.status_code == 303
    assert "已发布到 weibo" in client.get("/social/mentions").text
    assert [r["path"] for r in loopback.requests if r["method"] == "POST"] == ["/2/comments/create.json"]
    with transaction(runtime.factory) as s:
        m = s.scalar(select(Mention).where(Mention.id == ids[0]))
        assert (m.reply_status, m.reply_platform_id) == ("sent", "c-77")
    client.cookies.set("guanxi_locale", "en")
    assert "Posted on weibo" in client.get("/social/mentions", headers={"Accept-Language": "en"}).text
