"""A sliding-window limit per source: a flood from one visitor or address is throttled, others go on.

Values in, values out (the caller passes the time). Kept in the process: each server process
limits what reaches it, which is what protects it.
"""

from __future__ import annotations

import threading
from collections import deque


class SlidingWindow:
    def __init__(self, limit: int, seconds: float = 60.0, max_sources: int = 100_000):
        self.limit, self.seconds, self.max_sources = limit, seconds, max_sources
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, source: str, now: float) -> bool:
        with self._lock:
            hits = self._hits.get(source)
            if hits is None:
                if len(self._hits) >= self.max_sources:
                    self._forget_idle(now)
                hits = self._hits[source] = deque()
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.seconds]:
            del self._hits[key]
