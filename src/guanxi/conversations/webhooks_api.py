"""Platforms push messages here: WeChat (its own signature), Weibo and Douyin (HMAC), the call centre (HMAC).

Signed by the platform instead of a bearer token. Each answers quickly and is idempotent on the
platform's message id, so a platform's retry is harmless.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from guanxi.conversations import inbound, platforms
from guanxi.conversations.settings import ConversationSettings, get_conversation_settings
from guanxi.db import transaction
from guanxi.deps import RuntimeDep
from guanxi.errors import Unauthorized

router = APIRouter(prefix="/api/v1/conversations/webhooks", tags=["conversations"])
SettingsDep = Annotated[ConversationSettings, Depends(get_conversation_settings)]
MAX_BODY = 256 * 1024


def _check_wechat(cfg: ConversationSettings, signature: str, timestamp: str, nonce: str) -> None:
    if not platforms.wechat_signature_ok(cfg.wechat_token, timestamp, nonce, signature):
        raise Unauthorized("bad WeChat signature")


@router.get("/wechat", response_class=PlainTextResponse)
def wechat_verify(cfg: SettingsDep, signature: Annotated[str, Query(max_length=64)] = "",
                  timestamp: Annotated[str, Query(max_length=20)] = "", nonce: Annotated[str, Query(max_length=64)] = "",
                  echostr: Annotated[str, Query(max_length=200)] = "") -> str:
    """The official account's server URL check: echo `echostr` when the signature is right."""
    _check_wechat(cfg, signature, timestamp, nonce)
    return echostr


@router.post("/wechat", response_class=PlainTextResponse)
async def wechat_push(request: Request, runtime: RuntimeDep, cfg: SettingsDep,
                      signature: Annotated[str, Query(max_length=64)] = "",
                      timestamp: Annotated[str, Query(max_length=20)] = "",
                      nonce: Annotated[str, Query(max_length=64)] = "") -> str:
    _check_wechat(cfg, signature, timestamp, nonce)
    body = (await request.body())[:MAX_BODY + 1]
    message = platforms.parse_wechat(body)
    if message is not None:
        await _store(runtime, cfg, message)
    return platforms.wechat_reply_ok()


async def _store(runtime, cfg, message) -> dict:
    def store() -> dict:
        with transaction(runtime.factory) as session:
            got = inbound.accept(session, runtime.cipher, cfg, message)
            return {"conversation_id": got.conversation.id, "message_id": got.message.id, "duplicate": got.duplicate}

    return await run_in_threadpool(store)


@router.post("/calls", status_code=200)
async def call_centre_push(request: Request, runtime: RuntimeDep, cfg: SettingsDep,
                           x_signature: Annotated[str | None, Header()] = None) -> dict:
    """A finished call from the call centre: phone, direction, duration and notes (idempotent on call_id)."""
    body = await request.body()
    if not platforms.body_signature_ok(cfg.callcentre_secret, body, x_signature):
        raise Unauthorized("bad call-centre signature")
    call = platforms.parse_call(body)

    def store() -> dict:
        with transaction(runtime.factory) as session:
            got = inbound.accept_call(session, runtime.cipher, call)
            return {"conversation_id": got.conversation.id, "message_id": got.message.id, "duplicate": got.duplicate}

    return await run_in_threadpool(store)


@router.post("/{platform}")
async def social_push(platform: Literal["weibo", "douyin"], request: Request, runtime: RuntimeDep, cfg: SettingsDep,
                      x_signature: Annotated[str | None, Header()] = None) -> dict:
    """A Weibo or Douyin direct message or comment, as JSON signed with HMAC-SHA256 (X-Signature)."""
    body = await request.body()
    secret = cfg.weibo_secret if platform == "weibo" else cfg.douyin_secret
    if not platforms.body_signature_ok(secret, body, x_signature):
        raise Unauthorized(f"bad {platform} signature")
    message = platforms.parse_social(platform, body)
    if message is None:
        return {"ignored": True}
    return await _store(runtime, cfg, message)
