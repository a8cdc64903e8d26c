"""The ticket status machine: which moves are allowed, and which statuses stop the SLA clock."""

from __future__ import annotations

import datetime as dt

from guanxi.errors import Conflict

STATUSES = ("new", "open", "waiting", "on_hold", "resolved", "closed")
PAUSED = frozenset({"waiting", "on_hold"})      # waiting for the customer, on hold
DONE = frozenset({"resolved", "closed"})

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "waiting", "on_hold", "resolved"}),
    "open": frozenset({"waiting", "on_hold", "resolved"}),
    "waiting": frozenset({"open", "on_hold", "resolved"}),
    "on_hold": frozenset({"open", "waiting", "resolved"}),
    "resolved": frozenset({"open", "closed"}),   # reopened, or closed after the quiet period
    "closed": frozenset({"open"}),               # a reply within the reopen window
}


def check_move(current: str, target: str) -> None:
    if target not in STATUSES:
        raise Conflict(f"unknown status {target!r}")
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a {current} ticket cannot become {target}")


def status_after_customer_reply(current: str, *, closed_at: dt.datetime | None, now: dt.datetime,
                                reopen_days: int) -> str | None:
    """A customer's message moves the ticket: waiting/resolved → open; a closed ticket reopens only
    within `reopen_days` of closing. None: the message starts a new ticket instead."""
    if current == "closed":
        if closed_at is None or now - closed_at > dt.timedelta(days=reopen_days):
            return None
        return "open"
    if current in ("waiting", "resolved"):
        return "open"
    return current
