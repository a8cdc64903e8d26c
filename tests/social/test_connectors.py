"""Connectors against a loopback server playing each platform: pages, cursors, idempotent re-polls."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from guanxi.db import transaction
from guanxi.errors import ConfigError
from guanxi.social import connectors
from guanxi.social.models import ConnectorCursor, Mention


def _weibo(query):
    since = int(query.get("since_id") or 0)
    statuses = [{"id": 1001, "mid": "N1", "text": "@小店 杯子质量很好", "created_at": "Mon Nov 23 10:00:00 +0800 2026",
                 "attitudes_count": 3, "user": {"id": 55, "screen_name": "小王", "followers_count": 1200,
                                                "created_at": "Tue Jan 05 08:00:00 +0800 2021"}},
                {"id": 1002, "text": "@小店 假货，要求退款", "created_at": "Mon Nov 23 11:00:00 +0800 2026",
                 "user": {"id": 56, "screen_name": "小李", "followers_count": 80}}]
    return 200, {"statuses": [s for s in statuses if s["id"] > since]}


def _douyin(query):
    pages = {"0": {"list": [{"comment_id": "c1", "content": "主播讲得好，已下单", "create_time": 1763870400,
                             "room_id": "live-9", "user": {"open_id": "dy-1", "nickname": "抖友", "follower_count": 10}}],
                   "cursor": 1, "has_more": True},
             "1": {"list": [{"comment_id": "c2", "content": "什么时候发货", "create_time": 1763870500, "item_id": "v3",
                             "user": {"open_id": "dy-2", "nickname": "路人"}}], "cursor": 2, "has_more": False},
             "2": {"list": [], "cursor": 2, "has_more": False}}
    return 200, {"data": pages[query.get("cursor", "0")]}


def test_weibo_polls_with_since_id_and_stores_each_post_once(runtime, loopback):
    loopback.routes["/2/statuses/mentions.json"] = _weibo
    cfg = {"base_url": loopback.url, "token": "tok"}
    first = connectors.poll(runtime.factory, runtime.cipher, "weibo", cfg)
    assert (first.fetched, first.created, first.cursor) == (2, 2, "1002")
    second = connectors.poll(runtime.factory, runtime.cipher, "weibo", cfg)
    assert second.fetched == 0 and loopback.requests[-1]["query"]["since_id"] == "1002"
    assert loopback.requests[0]["query"]["access_token"] == "tok"
    with transaction(runtime.factory) as s:
        rows = {m.external_id: m for m in s.scalars(select(Mention))}
        assert rows["1001"].label == "positive" and rows["1001"].author_followers == 1200
        assert rows["1001"].posted_at == dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC)
        assert rows["1002"].label == "negative"
        assert s.get(ConnectorCursor, "weibo").fetched == 2


def test_douyin_follows_pages_and_reads_live_comments(runtime, loopback):
    loopback.routes["/item/comment/list/"] = _douyin
    cfg = {"base_url": loopback.url, "token": "tok"}
    got = connectors.poll(runtime.factory, runtime.cipher, "douyin", cfg)
    assert (got.fetched, got.created, got.cursor) == (2, 2, "2")
    assert loopback.requests[0]["headers"]["access-token"] == "tok"
    with transaction(runtime.factory) as s:
        live = s.scalar(select(Mention).where(Mention.external_id == "c1"))
        assert live.kind == "live_comment" and live.parent_id == "live-9"
    again = connectors.poll(runtime.factory, runtime.cipher, "douyin", cfg)
    assert again.created == 0


def test_xiaohongshu_notes(runtime, loopback):
    loopback.routes["/api/sns/notes/search"] = lambda q: (200, {"data": {"items": [
        {"note_id": "n1", "title": "好物分享", "desc": "这个杯子颜值很高，推荐", "time": 1763870400000,
         "liked_count": 88, "user": {"user_id": "x1", "nickname": "小红", "fans": 5000}}], "has_more": False}})
    got = connectors.poll(runtime.factory, runtime.cipher, "xiaohongshu", {"base_url": loopback.url, "query": "小店"})
    assert got.created == 1 and loopback.requests[0]["query"]["keyword"] == "小店"


def test_a_platform_error_stores_nothing_and_keeps_the_cursor(runtime, loopback):
    loopback.routes["/2/statuses/mentions.json"] = lambda q: (500, {"error": "busy"})
    with pytest.raises(Exception):
        connectors.poll(runtime.factory, runtime.cipher, "weibo", {"base_url": loopback.url})
    with transaction(runtime.factory) as s:
        assert s.get(ConnectorCursor, "weibo") is None


def test_unknown_platforms_and_missing_urls_are_configuration_errors(runtime):
    with pytest.raises(ConfigError):
        connectors.poll(runtime.factory, runtime.cipher, "myspace", {"base_url": "http://x"})
    with pytest.raises(ConfigError):
        connectors.poll(runtime.factory, runtime.cipher, "weibo", {})
