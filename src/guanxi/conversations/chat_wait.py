"""A visitor waiting for messages (long-poll or server-sent events), without costing the server while idle.

The stream reads the database when it starts and then only when it must: a reply committed in this
process arrives inside its wake-up (`fanout.py`) and is sent as it is; a message from another process
wakes it through `watch.py` and it reads once; a gap before the handed-over messages makes it read
once. A safety re-read every SAFETY_REREAD_SECONDS covers anything else (e.g. the chat joined the
customer's thread on sign-in). Delivery is strictly by id: nothing is sent twice or skipped, so a
reconnect with `after=` (or Last-Event-ID) carries on where it stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool

from guanxi.conversations import livechat, watch
from guanxi.conversations.fanout import FANOUT, Listener, Wake

SAFETY_REREAD_SECONDS = 60.0
NO_THREAD_SECONDS = 1.0   # nothing said yet: look again this often for the thread to exist


def read(runtime, token: str | None, after: int) -> tuple[int | None, list[dict]]:
    """(the visitor's thread id, their messages after `after`); a bad token is Unauthorized."""
    watch.ensure(runtime.factory)
    with runtime.factory() as session:
        visitor = livechat.visitor_for(session, runtime.secrets.session_secret, token)
        conv = livechat.current_thread(session, visitor)
        return (conv.id if conv else None), livechat.updates(session, runtime.cipher, visitor, after)


def _handed(wakes: list[Wake], seen: int) -> list[dict] | None:
    """The messages carried by these wake-ups if they follow on from `seen` without a gap, else None (read)."""
    out = []
    for wake in sorted(wakes, key=lambda w: w.prev_id):
        if wake.items is None or wake.prev_id > seen:
            return None
        for item in wake.items:
            if item["id"] > seen:
                out.append(item)
                seen = item["id"]
    return out


async def follow(runtime, token: str | None, after: int, until: float,
                 first: tuple[int | None, list[dict]] | None = None) -> AsyncIterator[list[dict]]:
    """Batches of new messages, in id order, until the monotonic time `until`. `first`: a read already made."""
    seen = after
    conv_id, items = first if first is not None else await run_in_threadpool(read, runtime, token, seen)
    listener: Listener | None = None
    try:
        while True:
            if items:
                seen = items[-1]["id"]
                yield items
            items = []
            left = until - time.monotonic()
            if left <= 0:
                return
            if listener is None and conv_id is not None:
                # Listening first, then reading again: a reply committed in between still wakes us.
                listener = FANOUT.listen(conv_id)
                conv_id, items = await run_in_threadpool(read, runtime, token, seen)
                continue
            if listener is None:
                await asyncio.sleep(min(left, NO_THREAD_SECONDS))
                conv_id, items = await run_in_threadpool(read, runtime, token, seen)
                continue
            wakes = None
            try:
                async with asyncio.timeout(min(left, SAFETY_REREAD_SECONDS)):
                    await listener.event.wait()
                wakes = FANOUT.take(listener)
            except TimeoutError:
                if time.monotonic() >= until:
                    return
            got = _handed(wakes, seen) if wakes is not None else None
            if got is not None:
                items = got
                continue
            new_id, items = await run_in_threadpool(read, runtime, token, seen)
            if new_id != conv_id:   # the chat joined the customer's thread: follow that one
                FANOUT.forget(conv_id, listener)
                listener, conv_id = None, new_id
    finally:
        if listener is not None:
            FANOUT.forget(conv_id, listener)
