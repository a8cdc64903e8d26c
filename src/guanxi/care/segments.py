"""Audiences from saved segments and from communities (社群): seams the analytics and social domains fill
(see bridges). Each kind has its own sources; the latest registration wins."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from guanxi.errors import Invalid

SegmentMembers = Callable[[Session, int], Iterable[int]]
SEGMENT, COMMUNITY = "segment", "community"
_OWNERS = {SEGMENT: ("segments", "analytics"), COMMUNITY: ("communities", "social")}
_sources: dict[str, list[SegmentMembers]] = {kind: [] for kind in _OWNERS}


def register(source: SegmentMembers, kind: str = SEGMENT) -> None:
    """Use `source` for audiences of this kind (the latest registration wins)."""
    _sources[kind].append(source)


def register_default(source: SegmentMembers, kind: str = SEGMENT) -> None:
    if source not in _sources[kind]:
        _sources[kind].insert(0, source)


def unregister(source: SegmentMembers, kind: str = SEGMENT) -> None:
    if source in _sources[kind]:
        _sources[kind].remove(source)


def members(session: Session, ref: int, kind: str = SEGMENT) -> list[int]:
    what, domain = _OWNERS[kind]
    if not _sources[kind]:
        raise Invalid(f"{what} are not available: the {domain} domain is not installed")
    try:
        return list(_sources[kind][-1](session, ref))
    except (ImportError, AttributeError) as exc:  # the domain present but not the functions care expects
        raise Invalid(f"{what} are not available: {exc}") from None
