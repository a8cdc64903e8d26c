"""Replies back to the platforms against a loopback server that records requests, fails on demand and, like a
platform that honours idempotency keys, posts a key it has seen once only."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest

from guanxi.db import transaction
from guanxi.social import replies
from guanxi.social.models import Mention
from tests.social.conftest import mention

URL = "/api/v1/social/mentions"


class Platform:
    """Plays a platform's reply endpoint: answers the scripted statuses first, then 200."""

    def __init__(self, loopback, path: str, answer):
        self.loopback, self.path, self.script, self.posted = loopback, path, [], {}
        self.answer = answer  # posted count → the platform's JSON for a new reply
        loopback.routes[path] = self._route

    def _route(self, query):
        request = self.loopback.requests[-1]
        status = self.script.pop(0) if self.script else 200
        if status != 200:
            return status, {"error": "busy" if status >= 500 else "refused"}
        key = request["headers"].get("Idempotency-Key", "")
        if key not in self.posted:
            self.posted[key] = request
        return 200, self.answer(list(self.posted).index(key) + 1, key)

    @property
    def requests(self) -> list[dict]:
        return [r for r in self.loopback.requests if r["path"] == self.path]


@pytest.fixture
def weibo(loopback, social, monkeypatch):
    monkeypatch.setattr(replies, "BACKOFF_S", (0.0, 0.0))
    social.connectors = {p: {"base_url": loopback.url, "token": "tok"} for p in ("weibo", "douyin", "xiaohongshu")}
    return Platform(loopback, "/2/comments/create.json",
                    lambda n, key: {"id": 9000 + n, "idstr": f"{9000 + n}", "client_msg_id": key})


def _one(client, auth, **kw) -> int:
    got = client.post(URL, json={"mentions": [mention(1, "杯子收到了，质量不错", **kw)]}, headers=auth("tech"))
    return got.json()["ids"][0]


def test_a_503_then_success_posts_exactly_once_and_records_the_platforms_id(client, auth, weibo):
    mid = _one(client, auth)
    weibo.script = [503]
    got = client.post(f"{URL}/{mid}/replies", json={"text": "谢谢支持！"}, headers=auth("service"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["reply_status"], body["reply_platform_id"], body["reply_error"]) == ("sent", "9001", None)
    assert len(weibo.requests) == 2 and len(weibo.posted) == 1  # two attempts, one reply on the platform
    keys = {r["headers"]["Idempotency-Key"] for r in weibo.requests}
    assert keys == {f"guanxi-social-reply-{mid}"}
    form = parse_qs(weibo.requests[0]["body"].decode())
    assert form["id"] == ["m-1"] and form["comment"] == ["谢谢支持！"] and form["access_token"] == ["tok"]
    assert form["client_msg_id"] == [f"guanxi-social-reply-{mid}"]

    again = client.post(f"{URL}/{mid}/replies", json={"text": "谢谢支持！"}, headers=auth("service"))
    assert again.status_code == 200 and len(weibo.requests) == 2  # already there: nothing sent
    edit = client.post(f"{URL}/{mid}/replies", json={"text": "改一下"}, headers=auth("service"))
    assert edit.status_code == 409 and "9001" in edit.json()["detail"]


def test_banned_words_are_refused_before_anything_is_stored_or_sent(client, auth, weibo, runtime):
    mid = _one(client, auth)
    got = client.post(f"{URL}/{mid}/replies", json={"text": "爱买不买"}, headers=auth("service"))
    assert got.status_code == 422 and "爱买不买" in got.json()["detail"]
    assert weibo.requests == []
    with transaction(runtime.factory) as s:
        assert s.get(Mention, mid).reply is None


def test_a_platform_that_stays_down_leaves_the_reply_pending_for_the_job_which_sends_it_once(client, auth, weibo,
                                                                                            runtime):
    from guanxi.scheduler.registry import JOBS, load_job_modules
    from guanxi.social.settings import get_social_settings
    from guanxi.worker import JobContext

    mid = _one(client, auth)
    weibo.script = [503, 502, 504]
    got = client.post(f"{URL}/{mid}/replies", json={"text": "已私信您"}, headers=auth("service")).json()
    assert got["reply_status"] == "pending" and "504" in got["reply_error"] and weibo.posted == {}
    load_job_modules()
    get_social_settings.cache_clear()
    import os

    os.environ["GUANXI_SOCIAL_CONNECTORS"] = json.dumps({"weibo": {"base_url": weibo.loopback.url, "token": "tok"}})
    try:
        ctx = JobContext(runtime.factory, runtime.settings, dt.datetime.now(dt.UTC), "test")
        assert JOBS["social.send_replies"].func(ctx) == {"sent": 1, "still_pending": 0, "failed": 0}
        assert JOBS["social.send_replies"].func(ctx) == {"sent": 0, "still_pending": 0, "failed": 0}
    finally:
        del os.environ["GUANXI_SOCIAL_CONNECTORS"]
        get_social_settings.cache_clear()
    assert len(weibo.posted) == 1 and len(weibo.requests) == 4
    with transaction(runtime.factory) as s:
        m = s.get(Mention, mid)
        assert (m.reply_status, m.reply_platform_id, m.reply_error) == ("sent", "9001", None)


def test_a_refusal_is_not_retried_and_says_why(client, auth, weibo):
    mid = _one(client, auth)
    weibo.script = [400]
    got = client.post(f"{URL}/{mid}/replies", json={"text": "谢谢"}, headers=auth("service")).json()
    assert got["reply_status"] == "failed" and "HTTP 400" in got["reply_error"] and len(weibo.requests) == 1


def test_comment_replies_on_weibo_douyin_and_notes_on_xiaohongshu_use_each_platforms_call(client, auth, weibo,
                                                                                         loopback):
    wb_reply = Platform(loopback, "/2/comments/reply.json", lambda n, key: {"idstr": f"r{n}"})
    douyin = Platform(loopback, "/item/comment/reply/", lambda n, key: {"data": {"comment_id": f"dy{n}"}})
    xhs = Platform(loopback, "/api/sns/notes/comments", lambda n, key: {"data": {"comment_id": f"x{n}"}})
    tech, staff = auth("tech"), auth("service")
    ids = client.post(URL, json={"mentions": [
        mention(1, "什么时候发货？", kind="comment", parent_id="post-7"),
        mention(2, "主播讲得好", platform="douyin", kind="comment", parent_id="video-3"),
        mention(3, "这个杯子颜值很高", platform="xiaohongshu"),
        mention(4, "在吗", platform="douyin", kind="live_comment", parent_id="room-1")]}, headers=tech).json()["ids"]
    assert client.post(f"{URL}/{ids[0]}/replies", json={"text": "今天发"}, headers=staff).json()["reply_platform_id"] == "r1"
    assert parse_qs(wb_reply.requests[0]["body"].decode())["cid"] == ["m-1"]
    assert parse_qs(wb_reply.requests[0]["body"].decode())["id"] == ["post-7"]
    assert client.post(f"{URL}/{ids[1]}/replies", json={"text": "谢谢"}, headers=staff).json()["reply_platform_id"] == "dy1"
    assert json.loads(douyin.requests[0]["body"]) == {"item_id": "video-3", "comment_id": "m-2", "content": "谢谢",
                                                      "client_msg_id": f"guanxi-social-reply-{ids[1]}"}
    assert douyin.requests[0]["headers"]["access-token"] == "tok"
    assert client.post(f"{URL}/{ids[2]}/replies", json={"text": "谢谢喜欢"}, headers=staff).json()["reply_status"] == "sent"
    assert json.loads(xhs.requests[0]["body"])["note_id"] == "m-3"
    more = client.post(URL, json={"mentions": [
        mention(5, "求链接", platform="xiaohongshu", kind="comment", parent_id="note-8"),
        mention(6, "发货了吗", platform="douyin", kind="comment")]}, headers=tech).json()["ids"]
    assert client.post(f"{URL}/{more[0]}/replies", json={"text": "私信您"}, headers=staff).json()["reply_platform_id"] == "x2"
    assert json.loads(xhs.requests[1]["body"])["target_comment_id"] == "m-5"
    assert json.loads(xhs.requests[1]["body"])["note_id"] == "note-8"
    orphan = client.post(f"{URL}/{more[1]}/replies", json={"text": "发了"}, headers=staff)
    assert orphan.status_code == 422 and "parent_id" in orphan.json()["detail"]
    live = client.post(f"{URL}/{ids[3]}/replies", json={"text": "在的"}, headers=staff)
    assert live.status_code == 422 and "live-room" in live.json()["detail"]


def test_a_shop_review_reply_is_kept_here_and_shown_without_a_platform_call(client, auth, weibo, loopback):
    mid = _one(client, auth, platform="shop", kind="review", rating=5, showcase=True)
    got = client.post(f"{URL}/{mid}/replies", json={"text": "谢谢您的好评"}, headers=auth("content")).json()
    assert got["reply"] == "谢谢您的好评" and got["reply_status"] is None
    assert [r for r in loopback.requests if r["method"] == "POST"] == []
