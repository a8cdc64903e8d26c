"""Messages written by another process (the worker relaying ticket answers, another `guanxi serve`):
one thread per server process and database looks for new visible messages every POLL_SECONDS with a
single indexed query, and wakes the streams of their conversations to read them.

That one query replaces each stream's own periodic re-read (1,000 streams re-reading every 5 s were
200 reads a second). It works alike on SQLite and PostgreSQL. On PostgreSQL an id can commit after a
larger one (sequences are handed out before the commit), so each look goes back LOOKBACK polls and
skips the ids it has already seen. The thread ends by itself when no stream has listened for a while.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from guanxi.conversations.fanout import FANOUT, Fanout
from guanxi.conversations.models import ConversationMessage

POLL_SECONDS = 1.0
LOOKBACK = 5          # polls
IDLE_POLLS = 10       # no listener for this many polls: the thread stops
BATCH = 5000

_watches: dict[int, _Watch] = {}
_lock = threading.Lock()


class _Watch(threading.Thread):
    def __init__(self, factory: sessionmaker[Session], fanout: Fanout) -> None:
        super().__init__(name="guanxi-chat-watch", daemon=True)
        self.factory, self.fanout = factory, fanout
        with factory() as session:
            top = session.scalar(select(func.max(ConversationMessage.id))) or 0
        self.floors: deque[int] = deque([top], maxlen=LOOKBACK)
        self.seen: set[int] = set()
        self.touched = time.monotonic()

    def look(self) -> set[int]:
        """One poll: the conversations with a visible message that nobody in this process handed over."""
        low = self.floors[0]
        with self.factory() as session:
            rows = session.execute(select(ConversationMessage.id, ConversationMessage.conversation_id)
                                   .where(ConversationMessage.id > low, ConversationMessage.direction != "internal")
                                   .order_by(ConversationMessage.id).limit(BATCH)).all()
        woken = set()
        for message_id, conversation_id in rows:
            if message_id not in self.seen:
                self.seen.add(message_id)
                if not self.fanout.was_handed(message_id):
                    woken.add(conversation_id)
        self.floors.append(max([self.floors[-1], *(r[0] for r in rows)]))
        self.seen = {m for m in self.seen if m > self.floors[0]}
        return woken

    def run(self) -> None:
        while not self._done():
            time.sleep(POLL_SECONDS)
            try:
                woken = self.look()
            except Exception:   # the database is briefly away: the streams' own safety re-read still runs
                continue
            for conversation_id in woken:
                self.fanout.notify(conversation_id)

    def _done(self) -> bool:
        # Under the lock that ensure() takes, so a stream that was just promised this watch keeps it.
        with _lock:
            if self.fanout.listening():
                self.touched = time.monotonic()
            if time.monotonic() - self.touched < IDLE_POLLS * POLL_SECONDS:
                return False
            if _watches.get(id(self.factory)) is self:
                del _watches[id(self.factory)]
            return True


def ensure(factory: sessionmaker[Session]) -> None:
    """Start this process's watch on this database unless it runs (called as a stream starts)."""
    with _lock:
        found = _watches.get(id(factory))
        if found is not None and found.is_alive():
            found.touched = time.monotonic()
            return
        _watches[id(factory)] = watch = _Watch(factory, FANOUT)
    watch.start()
