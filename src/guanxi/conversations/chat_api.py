"""The live-chat widget's endpoints: a visitor starts, writes, and hears back (long-poll or server-sent events).

The visitor is named by the token from POST /visitors, sent as `X-Chat-Visitor` (or `?visitor=`
where a header cannot be set, as with EventSource). The widget runs on the shop's own site, so
these answers allow any origin; they carry no cookie-based authority.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from guanxi.conversations import livechat
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
# A waiting stream reads the database again after this long even if not woken: replies written by
# another process (ticket answers relayed by the worker) reach it within this time.
REREAD_SECONDS = 5.0
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


def _updates(runtime, token: str | None, after: int) -> list[dict]:
    return _thread_and_updates(runtime, token, after)[1]


def _thread_and_updates(runtime, token: str | None, after: int) -> tuple[int | None, list[dict]]:
    with runtime.factory() as session:
        visitor = livechat.visitor_for(session, runtime.secrets.session_secret, token)
        conv = livechat.current_thread(session, visitor)
        return (conv.id if conv else None), livechat.updates(session, runtime.cipher, visitor, after)


async def _next(runtime, token: str | None, after: int, timeout: float) -> list[dict]:
    """Messages after `after`, waiting up to `timeout` for a reply to be committed (woken by FANOUT)."""
    conv_id, items = await run_in_threadpool(_thread_and_updates, runtime, token, after)
    if items or timeout <= 0:
        return items
    if conv_id is None:   # nothing said yet: nothing to be woken for
        await asyncio.sleep(min(timeout, 1.0))
        return []
    item = FANOUT.listen(conv_id)
    try:
        # Listening first, then reading again: a reply committed in between still wakes us.
        _, items = await run_in_threadpool(_thread_and_updates, runtime, token, after)
        if not items:
            try:
                await asyncio.wait_for(item[1].wait(), timeout)
            except TimeoutError:
                return []
            _, items = await run_in_threadpool(_thread_and_updates, runtime, token, after)
    finally:
        FANOUT.forget(conv_id, item)
    return items


@router.get("/messages")
async def poll_messages(response: Response, runtime: RuntimeDep, cfg: SettingsDep,
                        after: Annotated[int, Query(ge=0)] = 0, wait: Annotated[float, Query(ge=0, le=60)] = 0,
                        x_chat_visitor: Annotated[str | None, Header(max_length=100)] = None,
                        visitor: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    """Messages after `after`; with `wait`, hold the request (long-poll) until there is one or time is up."""
    deadline = time.monotonic() + min(wait, cfg.poll_seconds)
    while True:
        items = await _next(runtime, x_chat_visitor or visitor, after, min(REREAD_SECONDS, deadline - time.monotonic()))
        if items or time.monotonic() >= deadline:
            break
    response.headers.update(CORS)
    return {"messages": items}


@router.get("/stream")
async def stream(request: Request, runtime: RuntimeDep, visitor: Annotated[str, Query(max_length=100)],
                 after: Annotated[int, Query(ge=0)] = 0, seconds: Annotated[float, Query(ge=1, le=300)] = 120):
    """Server-sent events: one `message` event per new message; the browser reconnects with Last-Event-ID."""
    last = request.headers.get("last-event-id")
    start = int(last) if last and last.isdigit() else after
    await run_in_threadpool(_updates, runtime, visitor, 0)   # a bad token is a 401 before the stream starts

    async def events():
        seen, until = start, time.monotonic() + seconds
        yield "retry: 1000\n\n"
        while time.monotonic() < until and not await request.is_disconnected():
            # Woken at once by a reply in this process; re-reads now and then for replies from other processes.
            for item in await _next(runtime, visitor, seen, min(REREAD_SECONDS, until - time.monotonic())):
                seen = item["id"]
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
        conv = livechat.identify(session, runtime.cipher, visitor, customer_id)
        out = {"customer_id": customer_id, "conversation_id": conv.id if conv else None}
    response.headers.update(CORS)
    return out


@router.post("/visitors/identify")
def identify_by_shop(body: VisitorIdentify, actor: CustomerWriter, runtime: RuntimeDep) -> dict:
    """The shop's own site signed the visitor in: its server names the customer (bearer token)."""
    with transaction(runtime.factory) as session:
        visitor = livechat.visitor_for(session, runtime.secrets.session_secret, body.visitor)
        conv = livechat.identify(session, runtime.cipher, visitor, body.customer_id)
        return {"customer_id": body.customer_id, "conversation_id": conv.id if conv else None}
