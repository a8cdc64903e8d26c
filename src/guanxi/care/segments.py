"""Audiences from saved segments: a seam the analytics domain fills (see bridges)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from guanxi.errors import Invalid

SegmentMembers = Callable[[Session, int], Iterable[int]]
_sources: list[SegmentMembers] = []


def register(source: SegmentMembers) -> None:
    """Use `source` for segment audiences (the latest registration wins)."""
    _sources.append(source)


def register_default(source: SegmentMembers) -> None:
    if source not in _sources:
        _sources.insert(0, source)


def unregister(source: SegmentMembers) -> None:
    if source in _sources:
        _sources.remove(source)


def members(session: Session, segment_id: int) -> list[int]:
    if not _sources:
        raise Invalid("segments are not available: the analytics domain is not installed")
    try:
        return list(_sources[-1](session, segment_id))
    except (ImportError, AttributeError) as exc:  # analytics present but not the functions care expects
        raise Invalid(f"segments are not available: {exc}") from None
