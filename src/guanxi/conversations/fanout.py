"""Wake the chat streams of one conversation the moment a reply is committed (in this process).

A wake-up may carry the committed messages themselves, as the visitor sees them, together with the
id of the visible message before them (as the writer's transaction saw it). A stream that has
already delivered that earlier message just sends the handed-over ones: no database read, no
thread-pool hop. Any other wake-up (no messages carried, or a gap before them) makes the stream read
the database once. Messages written by another process are found by `watch.py`, which wakes the
streams of those conversations to read.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

# Ids of messages handed over in this process, so the cross-process watch does not wake for them again.
HANDED_KEPT = 20_000


@dataclass(frozen=True)
class Wake:
    items: tuple[dict, ...] | None   # None: read the database
    prev_id: int = 0                 # the visible message just before `items`


class Listener:
    """One waiting stream: woken through its event, the wake-ups queue in `wakes` (under the fan-out's lock)."""

    __slots__ = ("loop", "event", "wakes")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.event, self.wakes = loop, asyncio.Event(), []


class Fanout:
    def __init__(self) -> None:
        self._listeners: dict[int, set[Listener]] = defaultdict(set)
        self._handed: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()

    def listen(self, key: int) -> Listener:
        item = Listener(asyncio.get_running_loop())
        with self._lock:
            self._listeners[key].add(item)
        return item

    def forget(self, key: int, item: Listener) -> None:
        with self._lock:
            found = self._listeners.get(key)
            if found is not None:
                found.discard(item)
                if not found:
                    del self._listeners[key]

    def notify(self, key: int, items: list[dict] | None = None, prev_id: int = 0) -> None:
        """Safe from any thread (the sync routes run in a thread pool). Call it after the commit."""
        wake = Wake(tuple(items) if items is not None else None, prev_id)
        with self._lock:
            for item in items or ():
                self._handed[item["id"]] = None
            while len(self._handed) > HANDED_KEPT:
                self._handed.popitem(last=False)
            found = list(self._listeners.get(key, ()))
            for listener in found:
                listener.wakes.append(wake)
        for listener in found:
            listener.loop.call_soon_threadsafe(listener.event.set)

    def take(self, listener: Listener) -> list[Wake]:
        """The wake-ups queued for this listener (in its own event loop); an empty list is a stale wake."""
        with self._lock:
            wakes, listener.wakes = listener.wakes, []
            listener.event.clear()
        return wakes

    def was_handed(self, message_id: int) -> bool:
        with self._lock:
            return message_id in self._handed

    def listening(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._listeners.values())

    def keys(self) -> set[int]:
        with self._lock:
            return set(self._listeners)


FANOUT = Fanout()
