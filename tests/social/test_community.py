"""Live sessions, communities and creators through the API, on SQLite and PostgreSQL, with hand-computed figures."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.social.conftest import mention

API = "/api/v1/social"
START = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=2)


def _customer(client, headers, **extra) -> tuple[int, str]:
    email = f"c-{uuid.uuid4().hex[:8]}@example.com"
    reply = client.post("/api/v1/customers", json={"email": email, "name": "王芳", **extra}, headers=headers)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()["id"], email


def _order(client, headers, email, total, at, *, live_session=None, currency="CNY", status="paid") -> int:
    body = {"source": "site", "external_id": f"o-{uuid.uuid4().hex[:8]}", "customer": {"email": email},
            "placed_at": at.isoformat(), "currency": currency, "total_minor": total, "status": status,
            "live_session": live_session}
    reply = client.post("/api/v1/orders", json=body, headers=headers)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()["id"]


def test_a_live_session_reports_comments_sentiment_orders_and_revenue(client, auth, social):
    admin, ops, tech = auth("admin"), auth("operations"), auth("tech")
    body = {"platform": "douyin", "id": "room-88", "host": "店长小美", "title": "双十二预热", "started_at": START.isoformat(),
            "viewers": 1200}
    first = client.post(f"{API}/live-sessions", json=body, headers=ops)
    assert first.status_code == 201, first.text
    again = client.post(f"{API}/live-sessions", json={**body, "viewers": 1500, "ended_at": END.isoformat()},
                        headers=ops)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]  # (platform, id): one session

    comments = [mention(i, text, platform="douyin", kind="live_comment", parent_id="room-88",
                        at=START + dt.timedelta(minutes=i))
                for i, text in enumerate(["质量很好，五星好评！", "请问什么时候发货？", "质量太差了，非常失望"], start=1)]
    comments.append(mention(9, "质量很好", platform="douyin", kind="live_comment", parent_id="room-other"))
    assert client.post(f"{API}/mentions", json={"mentions": comments}, headers=tech).json()["created"] == 4

    _, email = _customer(client, admin)
    _order(client, admin, email, 10000, START + dt.timedelta(minutes=30), live_session="room-88")
    refunded = _order(client, admin, email, 5000, START + dt.timedelta(minutes=90), live_session="room-88")
    assert client.post(f"/api/v1/orders/{refunded}/refunds", json={"external_id": "r-1", "amount_minor": 2000},
                       headers=admin).status_code == 201
    _order(client, admin, email, 7000, START + dt.timedelta(minutes=60), live_session="room-88", currency="USD")
    _order(client, admin, email, 9999, END + dt.timedelta(days=1), live_session="room-88")   # after the stream
    _order(client, admin, email, 8888, START + dt.timedelta(minutes=10))                    # not credited to it
    _order(client, admin, email, 7777, START + dt.timedelta(minutes=20), live_session="room-88", status="cancelled")

    report = client.get(f"{API}/live-sessions/{first.json()['id']}", headers=auth("analyst")).json()
    assert report["viewers"] == 1500 and report["ended_at"].startswith("2026-11-20T14:00")
    assert report["comments"] == 3
    assert report["comment_labels"] == {"positive": 1, "neutral": 1, "negative": 1}
    scores = {m["external_id"]: m["sentiment"] for m in client.get(f"{API}/mentions", headers=ops).json()["items"]}
    assert report["sentiment"] == round((scores["m-1"] + scores["m-2"] + scores["m-3"]) / 3, 3)
    assert report["orders"] == 3 and report["buyers"] == 1
    assert report["revenue"] == [{"currency": "CNY", "amount_minor": 10000 + 5000 - 2000},
                                 {"currency": "USD", "amount_minor": 7000}]
    listing = client.get(f"{API}/live-sessions", params={"platform": "douyin"}, headers=ops).json()
    assert listing["count"] == 1 and listing["items"][0]["orders"] == 3


def test_live_session_input_is_checked(client, auth, social):
    ops = auth("operations")
    base = {"platform": "douyin", "id": "r1", "host": "h", "started_at": START.isoformat()}
    assert client.post(f"{API}/live-sessions", json={**base, "ended_at": (START - dt.timedelta(hours=1)).isoformat()},
                       headers=ops).status_code == 422
    assert client.post(f"{API}/live-sessions", json={**base, "viewers": -1}, headers=ops).status_code == 422
    assert client.post(f"{API}/live-sessions", json={**base, "started_at": "2026-11-20T12:00:00"},
                       headers=ops).status_code == 422   # a time without its zone
    assert client.post(f"{API}/live-sessions", json={**base, "room": 1}, headers=ops).status_code == 422
    assert client.post(f"{API}/live-sessions", json=base, headers=auth("analyst")).status_code == 403
    missing = client.get(f"{API}/live-sessions/999999", headers=ops)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


def test_a_community_lists_members_joins_leaves_and_counts_activity(client, auth, social):
    admin, ops, tech = auth("admin"), auth("operations"), auth("tech")
    a, _ = _customer(client, admin, wechat_openid="wx-a")
    b, _ = _customer(client, admin)
    c, _ = _customer(client, admin)
    group = client.post(f"{API}/communities", json={"platform": "wechat", "id": "grp-1", "name": "宝妈群"}, headers=ops)
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    renamed = client.post(f"{API}/communities", json={"platform": "wechat", "id": "grp-1", "name": "宝妈交流群"},
                          headers=ops)
    assert renamed.status_code == 200 and renamed.json()["id"] == gid and renamed.json()["name"] == "宝妈交流群"

    joined = client.post(f"{API}/communities/{gid}/members", json={"customer_ids": [a, b, c]}, headers=ops).json()
    assert joined == {"joined": 3, "already_members": 0}
    assert client.post(f"{API}/communities/{gid}/members", json={"customer_ids": [a]}, headers=ops).json() == {
        "joined": 0, "already_members": 1}
    assert client.delete(f"{API}/communities/{gid}/members/{c}", headers=ops).json() == {"left": True}
    assert client.delete(f"{API}/communities/{gid}/members/{c}", headers=ops).json() == {"left": False}
    assert client.delete(f"{API}/communities/{gid}/members/{10**9}", headers=ops).json() == {"left": False}
    unknown = client.post(f"{API}/communities/{gid}/members", json={"customer_ids": [b, 10**9]}, headers=ops)
    assert unknown.status_code == 404

    now = dt.datetime.now(dt.UTC)
    msgs = [mention(1, "今天的团购什么时候开始？", platform="wechat", kind="comment", parent_id="grp-1", author="wx-a",
                    at=now - dt.timedelta(days=1)),
            mention(2, "已下单", platform="wechat", kind="comment", parent_id="grp-1", author="wx-a",
                    at=now - dt.timedelta(days=2)),
            mention(3, "好", platform="wechat", kind="comment", parent_id="grp-1", author="wx-x",
                    at=now - dt.timedelta(days=3)),
            mention(4, "旧消息", platform="wechat", kind="comment", parent_id="grp-1", author="wx-a",
                    at=now - dt.timedelta(days=40)),
            mention(5, "别的群", platform="wechat", kind="comment", parent_id="grp-2", author="wx-a")]
    assert client.post(f"{API}/mentions", json={"mentions": msgs}, headers=tech).json()["created"] == 5

    got = client.get(f"{API}/communities/{gid}", headers=auth("analyst")).json()
    assert got["members"] == 2
    assert got["activity"]["messages"] == 3 and got["activity"]["authors"] == 2
    assert got["activity"]["active_members"] == 1      # wx-a is customer a; wx-x is nobody we know
    members = client.get(f"{API}/communities/{gid}/members", headers=ops).json()
    assert members["count"] == 2 and {m["customer_id"] for m in members["items"]} == {a, b}
    assert client.get(f"{API}/communities", params={"days": 60}, headers=ops).json()["items"][0]["activity"][
        "messages"] == 4
    assert client.post(f"{API}/communities", json={"platform": "wechat", "id": "g", "name": "x", "kind": "chat"},
                       headers=ops).status_code == 422
    assert client.post(f"{API}/communities/{gid}/members", json={"customer_ids": []}, headers=ops).status_code == 422
    assert client.delete(f"{API}/communities/999999/members/{a}", headers=ops).status_code == 404


def test_a_creator_shows_reach_engagement_and_referral_results(client, auth, social):
    admin, ops, tech = auth("admin"), auth("operations"), auth("tech")
    kol, _ = _customer(client, admin)
    body = {"platform": "weibo", "id": "kol-1", "handle": "@美妆小白", "followers": 1000, "customer_id": kol}
    made = client.post(f"{API}/creators", json=body, headers=ops)
    assert made.status_code == 201, made.text
    code = made.json()["referral_code"]
    assert code == client.get(f"/api/v1/customers/{kol}/referral", headers=admin).json()["code"]
    assert client.post(f"{API}/creators", json={**body, "followers": 2000}, headers=ops).status_code == 200

    posts = [mention(1, "新品试用", author="kol-1", likes=30), mention(2, "开箱", author="kol-1", likes=10),
             mention(3, "别人的帖子", author="someone", likes=500),
             mention(4, "好看", kind="comment", parent_id="m-1"), mention(5, "求链接", kind="comment", parent_id="m-1"),
             mention(6, "已买", kind="comment", parent_id="m-2"), mention(7, "别处", kind="comment", parent_id="m-3")]
    assert client.post(f"{API}/mentions", json={"mentions": posts}, headers=tech).json()["created"] == 7

    # Two friends sign up with the code; one buys twice (one order partly refunded), the other not yet.
    f1, e1 = _customer(client, admin)
    f2, _ = _customer(client, admin)
    for friend in (f1, f2):
        assert client.post("/api/v1/referrals", json={"code": code, "customer_id": friend},
                           headers=admin).status_code == 201
    now = dt.datetime.now(dt.UTC)
    _order(client, admin, e1, 20000, now - dt.timedelta(minutes=2))
    second = _order(client, admin, e1, 6000, now - dt.timedelta(minutes=1))
    assert client.post(f"/api/v1/orders/{second}/refunds", json={"external_id": "r-2", "amount_minor": 1000},
                       headers=admin).status_code == 201

    got = client.get(f"{API}/creators/{made.json()['id']}", headers=auth("analyst")).json()
    assert got["followers"] == 2000
    assert got["engagement"] == {"posts": 2, "likes_per_post": 20.0, "comments_per_post": 1.5,
                                 "rate": round((40 + 3) / 2 / 2000, 4)}
    assert got["referrals"] == {"signups": 2, "held": 0, "first_orders": 1,
                                "revenue": [{"currency": "CNY", "amount_minor": 20000 + 6000 - 1000}]}
    assert client.get(f"{API}/creators", headers=ops).json()["count"] == 1


def test_creator_input_is_checked(client, auth, social):
    admin, ops = auth("admin"), auth("operations")
    a, _ = _customer(client, admin)
    b, _ = _customer(client, admin)
    code_b = client.get(f"/api/v1/customers/{b}/referral", headers=admin).json()["code"]
    base = {"platform": "weibo", "id": "kol-2", "handle": "@x"}
    unknown = client.post(f"{API}/creators", json={**base, "referral_code": "NOPE1234"}, headers=ops)
    assert unknown.status_code == 422 and "referral code" in unknown.json()["detail"]
    other = client.post(f"{API}/creators", json={**base, "customer_id": a, "referral_code": code_b}, headers=ops)
    assert other.status_code == 422 and "another customer" in other.json()["detail"]
    assert client.post(f"{API}/creators", json={**base, "customer_id": 10**9}, headers=ops).status_code == 404
    assert client.post(f"{API}/creators", json={**base, "followers": "12"}, headers=ops).status_code == 422
    plain = client.post(f"{API}/creators", json={**base, "referral_code": code_b.lower()}, headers=ops).json()
    assert plain["referral_code"] == code_b and plain["engagement"]["posts"] == 0 and plain["referrals"]["signups"] == 0
