"""The live-chat widget's endpoints: a visitor starts, writes, and hears back (long-poll or server-sent events).

The visitor is named by the token from POST /visitors, sent as `X-Chat-Visitor` (or `?visitor=`
where a header cannot be set, as with EventSource). The widget runs on the shop's own site, so
these answers allow any origin; they carry no cookie-based authority.
"""

from __future__ import annotations

import json
import time
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from guanxi.conversations import chat_wait, livechat
from guanxi.conversations.fanout import FANOUT
from guanxi.conversations.ratelimit import SlidingWindow
from guanxi.conversations.settings import ConversationSettings, get_conversation_settings
from guanxi.db import transaction
from guanxi.deps import CustomerWriter, RuntimeDep
from guanxi.errors import GuanxiError, Unauthorized
from guanxi.schemas import StrictModel
from guanxi.web.csrf import MEMBER_COOKIE
from guanxi.web.member_codes import member_for

router = APIRouter(prefix="/api/v1/chat", tags=["live chat"])
SettingsDep = Annotated[ConversationSettings, Depends(get_conversation_settings)]
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type, X-Chat-Visitor",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "600"}


class Throttled(GuanxiError):
    status = 429
    title = "Too many messages"


class ChatMessageCreate(StrictModel):
    text: str = Field(min_length=1, max_length=5000)
    client_id: str | None = Field(default=None, max_length=64)


class VisitorIdentify(StrictModel):
    visitor: str = Field(min_length=8, max_length=100)
    customer_id: int = Field(ge=1)


def _limit(request: Request, name: str, per_minute: int, source: str) -> None:
    # One set of windows per app (per server process), kept on the app's state.
    state = request.app.state
    if not hasattr(state, "chat_limits"):
        state.chat_limits = {}
    limits: dict[str, SlidingWindow] = state.chat_limits
    window = limits.get(name)
    if window is None or window.limit != per_minute:
        window = limits[name] = SlidingWindow(per_minute)
    if not window.allow(source, time.monotonic()):
        raise Throttled("too many messages; wait a moment")


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.options("/{path:path}", include_in_schema=False)
def preflight(path: str) -> Response:
    return Response(status_code=204, headers=CORS)


@router.post("/visitors", status_code=201)
def start_visitor(request: Request, response: Response, runtime: RuntimeDep, cfg: SettingsDep) -> dict:
    _limit(request, "visitors", cfg.chat_address_per_minute, _client(request))
    with transaction(runtime.factory) as session:
        _, token = livechat.start(session, runtime.secrets.session_secret)
    response.headers.update(CORS)
    return {"visitor": token}


@router.post("/messages", status_code=201)
def post_message(body: ChatMessageCreate, request: Request, response: Response, runtime: RuntimeDep,
                 cfg: SettingsDep, x_chat_visitor: Annotated[str | None, Header(max_length=100)] = None) -> dict:
    _limit(request, "address", cfg.chat_address_per_minute, _client(request))
    with transaction(runtime.factory) as session:
        visitor = livechat.visitor_for(session, runtime.secrets.session_secret, x_chat_visitor)
        _limit(request, "visitor", cfg.chat_visitor_per_minute, str(visitor.id))
        got = livechat.send(session, runtime.cipher, cfg, visitor, body.text, client_id=body.client_id)
        out = {"id": got.message.id, "duplicate": got.duplicate}
    response.headers.update(CORS)
    return out


@router.get("/messages")
async def poll_messages(response: Response, runtime: RuntimeDep, cfg: SettingsDep,
                        after: Annotated[int, Query(ge=0)] = 0, wait: Annotated[float, Query(ge=0, le=60)] = 0,
                        x_chat_visitor: Annotated[str | None, Header(max_length=100)] = None,
                        visitor: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    """Messages after `after`; with `wait`, hold the request (long-poll) until there is one or time is up."""
    until = time.monotonic() + min(wait, cfg.poll_seconds)
    items: list[dict] = []
    async with aclosing(chat_wait.follow(runtime, x_chat_visitor or visitor, after, until)) as batches:
        async for items in batches:
            break
    response.headers.update(CORS)
    return {"messages": items}


@router.get("/stream")
async def stream(request: Request, runtime: RuntimeDep, visitor: Annotated[str, Query(max_length=100)],
                 after: Annotated[int, Query(ge=0)] = 0, seconds: Annotated[float, Query(ge=1, le=300)] = 120):
    """Server-sent events: one `message` event per new message; the browser reconnects with Last-Event-ID."""
    last = request.headers.get("last-event-id")
    start = int(last) if last and last.isdigit() else after
    first = await run_in_threadpool(chat_wait.read, runtime, visitor, start)   # a bad token: 401 before the stream

    async def events():
        until = time.monotonic() + seconds
        yield "retry: 1000\n\n"
        # Woken at once by a reply in this process (handed over, no read), by the watch for other processes.
        async with aclosing(chat_wait.follow(runtime, visitor, start, until, first)) as batches:
            async for batch in batches:
                if await request.is_disconnected():
                    return
                for item in batch:
                    yield f"id: {item['id']}\nevent: message\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={**CORS, "Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/identify")
def identify_member(request: Request, response: Response, runtime: RuntimeDep,
                    x_chat_visitor: Annotated[str | None, Header(max_length=100)] = None) -> dict:
    """The visitor is signed in on the member page (its cookie): the chat joins the customer."""
    with transaction(runtime.factory) as session:
        token = request.cookies.get(MEMBER_COOKIE)
        customer_id = member_for(session, runtime.secrets.session_secret, token) if token else None
        if customer_id is None:
            raise Unauthorized("sign in on the member page first")
        visitor = livechat.visitor_for(session, runtime.secrets.session_secret, x_chat_visitor)
        before = livechat.current_thread(session, visitor)
        before_id = before.id if before else None
        conv = livechat.identify(session, runtime.cipher, visitor, customer_id)
        out = {"customer_id": customer_id, "conversation_id": conv.id if conv else None}
    if before_id is not None:
        FANOUT.notify(before_id)   # a stream on the visitor's old thread reads again and follows the joined one
    response.headers.update(CORS)
    return out


@router.post("/visitors/identify")
def identify_by_shop(body: VisitorIdentify, actor: CustomerWriter, runtime: RuntimeDep) -> dict:
    """The shop's own site signed the visitor in: its server names the customer (bearer token)."""
    with transaction(runtime.factory) as session:
        visitor = livechat.visitor_for(session, runtime.secrets.session_secret, body.visitor)
        before = livechat.current_thread(session, visitor)
        before_id = before.id if before else None
        conv = livechat.identify(session, runtime.cipher, visitor, body.customer_id)
        out = {"customer_id": body.customer_id, "conversation_id": conv.id if conv else None}
    if before_id is not None:
        FANOUT.notify(before_id)
    return out
