"""Wake the chat streams of one conversation the moment a reply is committed (in this process).

A stream listens before it reads, so a reply committed between its read and its wait still wakes it;
replies written by another process (the worker, another server) are found by the stream's own
periodic read instead, a second or two later.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class Fanout:
    def __init__(self) -> None:
        self._listeners: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(set)
        self._lock = threading.Lock()

    def listen(self, key: int) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        item = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._listeners[key].add(item)
        return item

    def forget(self, key: int, item: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            found = self._listeners.get(key)
            if found is not None:
                found.discard(item)
                if not found:
                    del self._listeners[key]

    def notify(self, key: int) -> None:
        """Safe from any thread (the sync routes run in a thread pool)."""
        with self._lock:
            items = list(self._listeners.get(key, ()))
        for loop, event in items:
            loop.call_soon_threadsafe(event.set)

    def listening(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._listeners.values())


FANOUT = Fanout()
