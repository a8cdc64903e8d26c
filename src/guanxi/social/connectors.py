"""Connectors that poll a platform's HTTP API for mentions of the shop: one adapter per platform turns the
platform's pages into `MentionIn`s and says where the next poll starts (its cursor, kept in the database).

The adapters speak each platform's open-API shape as documented for comment and mention lists; the base URL
and token come from GUANXI_SOCIAL_CONNECTORS, so a test points them at a loopback server.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from dataclasses import dataclass
from typing import Protocol

import httpx
from sqlalchemy.orm import Session, sessionmaker

from guanxi.db import transaction, utcnow
from guanxi.errors import ConfigError
from guanxi.privacy.crypto import PiiCipher
from guanxi.social import ingest as ingesting
from guanxi.social.ingest import MentionIn
from guanxi.social.models import ConnectorCursor

log = logging.getLogger(__name__)
MAX_PAGES = 20


@dataclass
class Page:
    items: list[MentionIn]
    cursor: str | None      # where the next request starts
    more: bool              # another page is waiting now


class Adapter(Protocol):
    platform: str

    def fetch(self, client: httpx.Client, base_url: str, token: str, cursor: str | None, query: str) -> Page: ...


def _epoch(value, *, ms: bool = False) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value) / (1000 if ms else 1), dt.UTC)


def _get(client: httpx.Client, url: str, params: dict, headers: dict | None = None) -> dict:
    reply = client.get(url, params={k: v for k, v in params.items() if v not in (None, "")}, headers=headers or {})
    reply.raise_for_status()
    return reply.json()


class WeiboAdapter:
    """Weibo: statuses mentioning the account (`/2/statuses/mentions.json`), newest first, `since_id` cursor."""

    platform = "weibo"

    def fetch(self, client, base_url, token, cursor, query) -> Page:
        data = _get(client, f"{base_url.rstrip('/')}/2/statuses/mentions.json",
                    {"access_token": token, "since_id": cursor, "count": 100})
        items, top = [], cursor
        for s in data.get("statuses", []):
            user = s.get("user") or {}
            items.append(MentionIn(
                platform="weibo", external_id=str(s["id"]), kind="post" if not s.get("reply_to") else "comment",
                text=s.get("text", ""), posted_at=email.utils.parsedate_to_datetime(s["created_at"]).astimezone(dt.UTC),
                author_ref=str(user["id"]) if user.get("id") else None, author_name=user.get("screen_name"),
                author_followers=int(user.get("followers_count") or 0),
                author_since=email.utils.parsedate_to_datetime(user["created_at"]) if user.get("created_at") else None,
                url=f"https://weibo.com/{user.get('id')}/{s.get('mid') or s['id']}", likes=int(s.get("attitudes_count") or 0)))
            if top is None or int(s["id"]) > int(top):
                top = str(s["id"])
        return Page(items, top, False)


class DouyinAdapter:
    """Douyin: comments on the shop's videos and live sessions (`/item/comment/list/`), `cursor` + `has_more`."""

    platform = "douyin"

    def fetch(self, client, base_url, token, cursor, query) -> Page:
        data = _get(client, f"{base_url.rstrip('/')}/item/comment/list/", {"cursor": cursor or 0, "count": 50},
                    {"access-token": token} if token else {}).get("data", {})
        items = []
        for c in data.get("list", []):
            user = c.get("user") or {}
            items.append(MentionIn(
                platform="douyin", external_id=str(c["comment_id"]),
                kind="live_comment" if c.get("room_id") else "comment", text=c.get("content", ""),
                posted_at=_epoch(c["create_time"]), author_ref=user.get("open_id"), author_name=user.get("nickname"),
                author_followers=int(user.get("follower_count") or 0), parent_id=c.get("room_id") or c.get("item_id"),
                likes=int(c.get("digg_count") or 0)))
        return Page(items, str(data.get("cursor", cursor or 0)), bool(data.get("has_more")))


class XiaohongshuAdapter:
    """Xiaohongshu: notes that mention the brand (`/api/sns/notes/search`), page cursor + `has_more`."""

    platform = "xiaohongshu"

    def fetch(self, client, base_url, token, cursor, query) -> Page:
        data = _get(client, f"{base_url.rstrip('/')}/api/sns/notes/search", {"keyword": query, "cursor": cursor},
                    {"Authorization": f"Bearer {token}"} if token else {}).get("data", {})
        items = []
        for n in data.get("items", []):
            user = n.get("user") or {}
            items.append(MentionIn(
                platform="xiaohongshu", external_id=str(n["note_id"]), kind="post",
                text=" ".join(p for p in (n.get("title"), n.get("desc")) if p), posted_at=_epoch(n["time"], ms=True),
                author_ref=user.get("user_id"), author_name=user.get("nickname"),
                author_followers=int(user.get("fans") or 0), likes=int(n.get("liked_count") or 0),
                url=f"https://www.xiaohongshu.com/explore/{n['note_id']}"))
        return Page(items, data.get("cursor") or cursor, bool(data.get("has_more")))


ADAPTERS: dict[str, Adapter] = {a.platform: a for a in (WeiboAdapter(), DouyinAdapter(), XiaohongshuAdapter())}


@dataclass
class PollResult:
    platform: str
    fetched: int
    created: int
    cursor: str | None


def poll(factory: sessionmaker[Session], cipher: PiiCipher, platform: str, config: dict[str, str], *,
         client: httpx.Client | None = None, now: dt.datetime | None = None, on_new=None) -> PollResult:
    """Fetch pages until the platform has no more (at most MAX_PAGES), storing each page and the cursor
    together, so an interrupted poll resumes where it stopped and a repeated one stores nothing twice."""
    adapter = ADAPTERS.get(platform)
    if adapter is None:
        raise ConfigError(f"no connector for {platform!r}; there are: {', '.join(sorted(ADAPTERS))}")
    if not config.get("base_url"):
        raise ConfigError(f"GUANXI_SOCIAL_CONNECTORS has no base_url for {platform}")
    own = client is None
    client = client or httpx.Client(timeout=15.0)
    fetched = created = 0
    try:
        with factory() as session:
            row = session.get(ConnectorCursor, platform)
            cursor = row.cursor if row else None
        for _ in range(MAX_PAGES):
            page = adapter.fetch(client, config["base_url"], config.get("token", ""), cursor, config.get("query", ""))
            with transaction(factory) as session:
                done = ingesting.ingest(session, cipher, page.items, now=now)
                if on_new is not None:
                    on_new(session, done)
                row = session.get(ConnectorCursor, platform) or ConnectorCursor(platform=platform)
                row.cursor, row.polled_at, row.fetched = page.cursor, now or utcnow(), (row.fetched or 0) + len(page.items)
                session.add(row)
            fetched += len(page.items)
            created += len(done.created)
            cursor = page.cursor
            if not page.more:
                break
    finally:
        if own:
            client.close()
    return PollResult(platform, fetched, created, cursor)
