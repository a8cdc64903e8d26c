"""Where other domains plug into a customer's life: timeline, export, erasure and merge.

A domain registers a function at import time; the customers domain calls them all and
never reads those domains' tables itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

# (session, customer_id, limit) -> [{"at": datetime, "kind": str, "summary": str, ...}]
TimelineSource = Callable[[Session, int, int], list[dict[str, Any]]]
# (session, customer_id) -> JSON-able data for the person's export
Exporter = Callable[[Session, int], Any]
# (session, customer_id) -> None: remove or anonymise the domain's personal data of this person
Eraser = Callable[[Session, int], None]
# (session, from_id, to_id) -> {table: [row ids moved]}, and its inverse for unmerge
Mover = Callable[[Session, int, int], dict[str, list[int]]]
Unmover = Callable[[Session, dict[str, list[int]], int], None]

timeline_sources: dict[str, TimelineSource] = {}
exporters: dict[str, Exporter] = {}
erasers: dict[str, Eraser] = {}
movers: dict[str, tuple[Mover, Unmover]] = {}


def timeline(name: str):
    def register(func: TimelineSource) -> TimelineSource:
        timeline_sources[name] = func
        return func
    return register


def exporter(name: str):
    def register(func: Exporter) -> Exporter:
        exporters[name] = func
        return func
    return register


def eraser(name: str):
    def register(func: Eraser) -> Eraser:
        erasers[name] = func
        return func
    return register


def mover(name: str, undo: Unmover):
    def register(func: Mover) -> Mover:
        movers[name] = (func, undo)
        return func
    return register


# (session, customer_ids) -> None: these customers' orders, events or profile just changed (same transaction)
ChangeListener = Callable[[Session, list[int]], None]
change_listeners: dict[str, ChangeListener] = {}


def on_change(name: str):
    def register(func: ChangeListener) -> ChangeListener:
        change_listeners[name] = func
        return func
    return register


def customers_changed(session: Session, customer_ids) -> None:
    """Tell every listener (e.g. live segments) which customers to look at again."""
    ids = sorted({cid for cid in customer_ids if cid is not None})
    if ids:
        for listener in change_listeners.values():
            listener(session, ids)
