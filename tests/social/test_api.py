"""The social API on SQLite and PostgreSQL: ingest, links, points, tickets, moderation, showcase, hooks, dashboard."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from guanxi.db import transaction
from guanxi.service.models import Ticket
from guanxi.social.models import Mention, MentionBand
from tests.social.conftest import mention

URL = "/api/v1/social/mentions"


def test_a_batch_is_scored_linked_and_idempotent_on_platform_and_id(client, auth, social, buyer):
    cid, _ = buyer(weibo_id="wb-777")
    batch = {"mentions": [
        mention(1, "物流很快，质量很好，五星好评！", author="wb-777", product_sku="MUG-1"),
        mention(2, "请问什么时候发货？", author="stranger"),
        mention(3, "Arrived broken, I want a refund.", platform="douyin", kind="comment"),
    ]}
    tech = auth("tech")
    got = client.post(URL, json=batch, headers=tech)
    assert got.status_code == 200, got.text
    assert got.json()["created"] == 3 and got.json()["linked"] == 1 and got.json()["duplicates"] == 0
    again = client.post(URL, json=batch, headers=tech).json()
    assert again["created"] == 0 and again["duplicates"] == 3

    items = {m["external_id"]: m for m in client.get(URL, headers=auth("operations")).json()["items"]}
    assert items["m-1"]["label"] == "positive" and items["m-1"]["customer_id"] == cid
    assert items["m-1"]["product_sku"] == "MUG-1" and items["m-1"]["aspects"]["logistics"] > 0
    assert items["m-2"]["label"] == "neutral" and items["m-2"]["customer_id"] is None  # unknown authors make no profile
    assert items["m-3"]["label"] == "negative" and items["m-3"]["override"]


def test_roles_and_strict_input(client, auth, social):
    assert client.post(URL, json={"mentions": [mention(1, "好")]}, headers=auth("content")).status_code == 403
    assert client.get(URL, headers=auth("tech")).status_code == 403
    bad = mention(1, "好")
    bad["rating"] = 9
    assert client.post(URL, json={"mentions": [bad]}, headers=auth("tech")).status_code == 422
    assert client.post(URL, json={"mentions": [{**mention(1, "好"), "extra": 1}]}, headers=auth("tech")).status_code == 422


def test_a_complaint_mention_opens_one_ticket(client, auth, social, runtime):
    batch = {"mentions": [mention(1, "这家店卖假货，已经向12315投诉了"), mention(2, "很好用")]}
    assert client.post(URL, json=batch, headers=auth("tech")).json()["tickets"] == 1
    assert client.post(URL, json=batch, headers=auth("tech")).json()["tickets"] == 0
    with transaction(runtime.factory) as s:
        tickets = s.scalars(select(Ticket).where(Ticket.source == "social")).all()
        assert len(tickets) == 1 and "social" in tickets[0].tags


def test_review_points_once_per_order_whatever_the_rating(client, auth, social, buyer):
    cid, order_id = buyer()
    tech = auth("tech")
    bad = mention(1, "质量太差了", platform="shop", kind="review", rating=1, order_id=order_id)
    assert client.post(URL, json={"mentions": [bad]}, headers=tech).status_code == 200
    points = client.get(f"/api/v1/customers/{cid}/points", headers=auth("admin")).json()
    assert points["available"] == social.review_points  # a one-star review earns the same
    second = mention(2, "补充评价：其实还行", platform="shop", kind="review", rating=5, order_id=order_id)
    client.post(URL, json={"mentions": [second]}, headers=tech)
    assert client.get(f"/api/v1/customers/{cid}/points", headers=auth("admin")).json()["available"] == social.review_points


def test_moderation_removes_only_abuse_or_illegal_content_never_negativity(client, auth, social):
    ids = client.post(URL, json={"mentions": [mention(1, "质量很差，非常失望"), mention(2, "卖家是傻逼")]},
                      headers=auth("tech")).json()["ids"]
    staff = auth("service")
    no = client.post(f"/api/v1/social/mentions/{ids[0]}/moderation", json={"action": "remove", "reason": "negative"},
                     headers=staff)
    assert no.status_code == 422 and "never for being negative" in no.json()["detail"]
    yes = client.post(f"/api/v1/social/mentions/{ids[1]}/moderation", json={"action": "remove", "reason": "abuse"},
                      headers=staff)
    assert yes.status_code == 200 and yes.json()["status"] == "removed"
    replied = client.post(f"/api/v1/social/mentions/{ids[0]}/replies", json={"text": "非常抱歉，已私信您处理。"},
                          headers=auth("content"))
    assert replied.status_code == 200 and replied.json()["reply"].startswith("非常抱歉")
    assert client.post(f"/api/v1/social/mentions/{ids[1]}/replies", json={"text": "x"}, headers=staff).status_code == 409


def test_showcase_only_with_permission_and_names_masked(client, auth, social):
    batch = {"mentions": [
        mention(1, "杯子很好看，送朋友很合适", platform="shop", kind="review", rating=5, showcase=True, product_sku="MUG-1"),
        mention(2, "还不错", platform="shop", kind="review", rating=4, product_sku="MUG-1"),
    ]}
    ids = client.post(URL, json=batch, headers=auth("tech")).json()["ids"]
    shown = client.get("/api/v1/social/showcase", params={"sku": "MUG-1"}).json()  # public: no sign-in
    assert [s["id"] for s in shown] == [ids[0]] and shown[0]["author"] == "用**"
    assert "用户1" not in str(shown)
    client.put(f"/api/v1/social/reviews/{ids[0]}/showcase", json={"allowed": False}, headers=auth("content"))
    assert client.get("/api/v1/social/showcase").json() == []


def test_a_burst_of_reviews_from_new_accounts_is_flagged_for_review(client, auth, social):
    now = dt.datetime.now(dt.UTC)
    young = (now - dt.timedelta(days=2)).isoformat()
    batch = {"mentions": [
        {**mention(i, f"垃圾产品，大家别买 第{i}条", platform="shop", kind="review", rating=1, product_sku="TEA-1",
                   at=now - dt.timedelta(minutes=i)),
         "author": {"id": f"new{i}", "followers": 0, "since": young}} for i in range(6)]}
    got = client.post(URL, json=batch, headers=auth("tech")).json()
    assert got["flagged"] == 6
    flagged = client.get(URL, params={"flagged": True}, headers=auth("service")).json()
    assert flagged["count"] == 6 and "new_account_burst" in flagged["items"][0]["flags"]
    cleared = client.post(f"/api/v1/social/mentions/{got['ids'][0]}/flag-reviews", json={"state": "cleared"},
                          headers=auth("service"))
    assert cleared.json()["flag_state"] == "cleared"


def test_timeline_and_export_hooks_carry_the_persons_mentions(client, auth, social, buyer, runtime):
    from guanxi.customers import hooks

    cid, _ = buyer(weibo_id="wb-42")
    client.post(URL, json={"mentions": [mention(1, "很喜欢这个杯子", author="wb-42"),
                                        mention(2, "很喜欢这个杯子，颜色也好看", author="wb-42", kind="comment",
                                                product_sku="MUG-1")]}, headers=auth("tech"))
    with transaction(runtime.factory) as s:
        assert hooks.timeline_sources["social"](s, cid, 10)[0]["kind"] in ("social_post", "social_comment")
        assert hooks.exporters["social"](s, cid)[0]["text"] == "很喜欢这个杯子"
        assert s.scalar(select(func.count()).select_from(MentionBand)) == 8  # the comment's text signature
        hooks.erasers["social"](s, cid)
    with transaction(runtime.factory) as s:
        m = s.scalar(select(Mention).where(Mention.external_id == "m-1"))
        assert m.text == "[erased]" and m.author_name_enc is None and m.customer_id is None
        assert s.scalar(select(func.count()).select_from(MentionBand)) == 0  # derived from the text: gone too


def test_dashboard_by_platform_and_product(client, auth, social):
    batch = {"mentions": [mention(1, "物流很快", product_sku="MUG-1"), mention(2, "质量太差", product_sku="MUG-1"),
                          mention(3, "Great quality", platform="douyin")]}
    client.post(URL, json=batch, headers=auth("tech"))
    fig = client.get("/api/v1/social/dashboard", headers=auth("analyst")).json()
    assert fig["total"] == 3 and fig["negative"] == 1
    assert {p["key"] for p in fig["platforms"]} == {"weibo", "douyin"}
    assert fig["products"][0] == {"key": "MUG-1", "total": 2, "negative": 1, "sentiment": fig["products"][0]["sentiment"]}
    assert fig["trend"] and fig["keywords"]
    only = client.get("/api/v1/social/dashboard", params={"platform": "douyin"}, headers=auth("analyst")).json()
    assert only["total"] == 1


def test_score_endpoint_shows_ours_and_the_baseline(client, auth, social):
    got = client.post("/api/v1/social/scores", json={"text": "包装很漂亮，但是假货，要求退款"}, headers=auth("analyst")).json()
    assert got["label"] == "negative" and got["override"]


def test_a_flagged_review_earns_its_points_only_once_a_person_clears_it(client, auth, social, buyer):
    cid, order_id = buyer()
    now = dt.datetime.now(dt.UTC)
    young = (now - dt.timedelta(days=2)).isoformat()
    batch = {"mentions": [
        {**mention(i, f"垃圾产品，大家别买 第{i}条", platform="shop", kind="review", rating=1, product_sku="TEA-1",
                   at=now - dt.timedelta(minutes=i), order_id=order_id if i == 0 else None),
         "author": {"id": f"new{i}", "followers": 0, "since": young}} for i in range(6)]}
    got = client.post(URL, json=batch, headers=auth("tech")).json()
    assert got["flagged"] == 6
    balance = lambda: client.get(f"/api/v1/customers/{cid}/points", headers=auth("admin")).json()["available"]  # noqa: E731
    assert balance() == 0                                       # held by its fake-review signal
    first = got["ids"][0]
    cleared = client.post(f"/api/v1/social/mentions/{first}/flag-reviews", json={"state": "cleared"},
                          headers=auth("service"))
    assert cleared.status_code == 200 and balance() == social.review_points
    client.post(f"/api/v1/social/mentions/{first}/flag-reviews", json={"state": "cleared"}, headers=auth("service"))
    assert balance() == social.review_points                    # once per order
    shown = client.get(f"/api/v1/customers/{cid}/points/events", headers=auth("admin")).json()
    assert [(e["kind"], e["source"], e["explanations"]) for e in shown] == [
        ("review", "social-review", [f"Review: +{social.review_points}"])]


def test_the_shops_review_event_rule_decides_the_review_points(client, auth, social, buyer):
    h = auth("admin")
    r = client.post("/api/v1/loyalty/rules", json={"name": "review", "definition": {
        "kind": "event", "event": "review", "points": 50, "label": "Thanks for your review"}}, headers=h)
    assert r.status_code == 201, r.text
    cid, order_id = buyer()
    review = mention(1, "还行吧", platform="shop", kind="review", rating=3, order_id=order_id)
    assert client.post(URL, json={"mentions": [review]}, headers=auth("tech")).status_code == 200
    assert client.get(f"/api/v1/customers/{cid}/points", headers=h).json()["available"] == 50
