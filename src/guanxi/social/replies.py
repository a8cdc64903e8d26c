"""Staff replies to a mention or review, sent back to the platform it came from.

`compose` checks and stores the reply (the service desk's banned-word check for outgoing replies applies), then
`deliver` posts it through the platform's adapter, outside any transaction. One reply per mention goes out: the
request carries `Idempotency-Key: guanxi-social-reply-<mention id>` (and the same value as the platform's client
message id), so a retry after a timeout or a 5xx is the same reply to a platform that deduplicates, and once the
platform has answered with its id for the reply, nothing is sent again. Retryable failures (timeouts, 408, 429,
5xx) leave the reply `pending` for the `social.send_replies` job; a refusal (4xx) marks it `failed` with the
platform's reason. Platforms without an adapter (the shop's own reviews, WeChat) keep the reply here only —
the showcase shows it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from guanxi.db import transaction, utcnow
from guanxi.errors import Conflict, Invalid
from guanxi.service import quality
from guanxi.social import reviews
from guanxi.social.models import Mention
from guanxi.staff.roles import Actor

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
BACKOFF_S = (0.2, 0.6)      # between the three attempts of one delivery; the job retries later ones
MAX_REPLY = reviews.MAX_REPLY


class ReplyError(Exception):
    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Outgoing:
    platform: str
    external_id: str       # the mention answered
    kind: str
    parent_id: str | None  # the post a comment is under
    text: str
    key: str               # idempotency key / client message id


def _post(client: httpx.Client, url: str, key: str, *, json: dict | None = None, data: dict | None = None,
          headers: dict | None = None) -> dict:
    try:
        answer = client.post(url, json=json, data=data, headers={"Idempotency-Key": key, **(headers or {})})
    except httpx.TransportError as exc:  # the platform may or may not have it: the same key makes a retry safe
        raise ReplyError(f"{url}: {exc.__class__.__name__}", retry=True) from exc
    if answer.status_code in RETRY_STATUSES:
        raise ReplyError(f"HTTP {answer.status_code} from the platform", retry=True)
    if answer.status_code >= 400:
        raise ReplyError(f"the platform refused the reply (HTTP {answer.status_code}): {answer.text[:200]}", retry=False)
    try:
        body = answer.json()
    except ValueError as exc:
        raise ReplyError(f"the platform's answer is not JSON: {answer.text[:200]}", retry=False) from exc
    if not isinstance(body, dict):
        raise ReplyError("the platform's answer is not a JSON object", retry=False)
    echoed = body.get("client_msg_id") or (body.get("data") or {}).get("client_msg_id")
    if echoed and echoed != key:
        raise ReplyError(f"the platform answered for another request ({echoed})", retry=False)
    return body


def _id_of(value, what: str) -> str:
    if value in (None, ""):
        raise ReplyError(f"the platform accepted the reply but gave no {what}", retry=False)
    return str(value)


class WeiboReplies:
    """Weibo: a comment on the status (`/2/comments/create.json`) or a reply to a comment (`/2/comments/reply.json`)."""

    def send(self, client, base_url, token, out: Outgoing) -> str:
        base = base_url.rstrip("/")
        form = {"access_token": token, "comment": out.text, "client_msg_id": out.key}
        if out.kind == "comment" and out.parent_id:
            body = _post(client, f"{base}/2/comments/reply.json", out.key,
                         data={**form, "id": out.parent_id, "cid": out.external_id})
        else:
            body = _post(client, f"{base}/2/comments/create.json", out.key, data={**form, "id": out.external_id})
        return _id_of(body.get("idstr") or body.get("id"), "comment id")


class DouyinReplies:
    """Douyin: a reply to a comment on a video (`/item/comment/reply/`); live-room comments cannot be answered."""

    def send(self, client, base_url, token, out: Outgoing) -> str:
        body = _post(client, f"{base_url.rstrip('/')}/item/comment/reply/", out.key,
                     json={"item_id": out.parent_id, "comment_id": out.external_id, "content": out.text,
                           "client_msg_id": out.key}, headers={"access-token": token} if token else {})
        return _id_of((body.get("data") or {}).get("comment_id"), "comment id")


class XiaohongshuReplies:
    """Xiaohongshu: a comment on the note, or under a comment on it (`/api/sns/notes/comments`)."""

    def send(self, client, base_url, token, out: Outgoing) -> str:
        note = {"note_id": out.external_id} if out.kind == "post" else {"note_id": out.parent_id,
                                                                         "target_comment_id": out.external_id}
        body = _post(client, f"{base_url.rstrip('/')}/api/sns/notes/comments", out.key,
                     json={**note, "content": out.text, "client_msg_id": out.key},
                     headers={"Authorization": f"Bearer {token}"} if token else {})
        return _id_of((body.get("data") or {}).get("comment_id"), "comment id")


ADAPTERS = {"weibo": WeiboReplies(), "douyin": DouyinReplies(), "xiaohongshu": XiaohongshuReplies()}
UNANSWERABLE = {("douyin", "live_comment"): "Douyin does not take replies to live-room comments through its API",
                ("douyin", "post"): "a Douyin reply goes under a comment; this mention is not one"}
NEEDS_PARENT = ("douyin", "xiaohongshu")   # their comment replies name the video or note


def compose(session: Session, mention_id: int, text: str, actor: Actor, *, now: dt.datetime | None = None) -> Mention:
    """Check and store the reply; it is `pending` until `deliver` has the platform's id for it."""
    text = text.strip()
    if not text or len(text) > MAX_REPLY:
        raise Invalid(f"a reply is 1 to {MAX_REPLY} characters", errors=[{"loc": ["body", "text"], "msg": "length"}])
    quality.check_reply(text)   # the service desk's rule for anything said to a customer
    m = reviews.get(session, mention_id)
    if m.status == "removed":
        raise Conflict("this mention was removed; restore it before replying")
    if m.reply_status == "sent":
        if text == m.reply:
            return m  # the same reply again (a double click, a retried request): it is already there
        raise Conflict(f"a reply is already on {m.platform} (its id {m.reply_platform_id}); platforms do not let us "
                       "edit it — add to it in the platform's own app")
    if why := UNANSWERABLE.get((m.platform, m.kind)):
        raise Invalid(f"{why}; answer it in the platform's app")
    if m.platform in NEEDS_PARENT and m.kind != "post" and not m.parent_id:
        raise Invalid(f"a {m.platform} reply goes under the post the comment belongs to, and this mention has no "
                      "parent_id; send it again with parent_id, or answer it in the platform's app")
    m.reply, m.replied_at, m.replied_by = text, now or utcnow(), actor.ref
    if m.platform in ADAPTERS:
        m.reply_status, m.reply_key, m.reply_error = "pending", f"guanxi-social-reply-{m.id}", None
    return m


def deliver(factory: sessionmaker[Session], connectors: dict[str, dict[str, str]], mention_id: int, *,
            client: httpx.Client | None = None, now: dt.datetime | None = None) -> str | None:
    """Post a pending reply; returns its status afterwards (sent | pending | failed), None if nothing to send."""
    with transaction(factory) as session:
        m = session.get(Mention, mention_id)
        if m is None or m.reply_status not in ("pending",) or not m.reply:
            return m.reply_status if m else None
        out = Outgoing(m.platform, m.external_id, m.kind, m.parent_id, m.reply, m.reply_key)
    config = connectors.get(out.platform) or {}
    if not config.get("base_url"):
        return _record(factory, mention_id, out, "failed",
                       error=f"no connector configured for {out.platform} (GUANXI_SOCIAL_CONNECTORS)")
    own = client is None
    client = client or httpx.Client(timeout=15.0)
    try:
        for attempt in range(len(BACKOFF_S) + 1):
            try:
                reply_id = ADAPTERS[out.platform].send(client, config["base_url"], config.get("token", ""), out)
            except ReplyError as exc:
                if exc.retry and attempt < len(BACKOFF_S):
                    time.sleep(BACKOFF_S[attempt])
                    continue
                log.warning("social reply %s to %s: %s", mention_id, out.platform, exc)
                return _record(factory, mention_id, out, "pending" if exc.retry else "failed", error=str(exc))
            return _record(factory, mention_id, out, "sent", reply_id=reply_id, now=now)
    finally:
        if own:
            client.close()
    return None  # not reached


def _record(factory, mention_id: int, out: Outgoing, status: str, *, reply_id: str | None = None,
            error: str | None = None, now: dt.datetime | None = None) -> str:
    with transaction(factory) as session:
        m = session.get(Mention, mention_id)
        if m is None or m.reply_status == "sent":
            return m.reply_status if m else status
        if status == "sent":
            # The platform has exactly what we sent; the stored text may have been edited since — keep what went out.
            m.reply, m.reply_platform_id, m.reply_sent_at, m.reply_error = out.text, reply_id, now or utcnow(), None
        else:
            m.reply_error = (error or "")[:500]
        m.reply_status = status
        return status


def pending(session: Session, *, limit: int = 100) -> list[int]:
    return list(session.scalars(select(Mention.id).where(Mention.reply_status == "pending")
                                .order_by(Mention.replied_at).limit(limit)))
