"""Sections other domains add to the customer 360 page and the member page.

A domain registers a loader and a template; the page renders every registered section in
order. A section a later domain will own (points, tickets) shows a placeholder until then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from guanxi.staff.roles import Perm

# (session, runtime, customer_id) -> the template's context
Loader = Callable[[Session, Any, int], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    key: str
    title: str            # catalogue msgid
    template: str | None  # None: a placeholder
    loader: Loader | None
    perm: Perm | None = None
    order: int = 100


CUSTOMER_SECTIONS: dict[str, Section] = {}
MEMBER_SECTIONS: dict[str, Section] = {}


def customer_section(key: str, title: str, template: str, *, perm: Perm | None = None, order: int = 100):
    """Decorator: `@customer_section("points", N_("Points"), "loyalty/_customer_points.html")`."""
    def register(loader: Loader) -> Loader:
        CUSTOMER_SECTIONS[key] = Section(key, title, template, loader, perm, order)
        return loader
    return register


def member_section(key: str, title: str, template: str, *, order: int = 100):
    def register(loader: Loader) -> Loader:
        MEMBER_SECTIONS[key] = Section(key, title, template, loader, None, order)
        return loader
    return register


def placeholder(registry: dict[str, Section], key: str, title: str, order: int) -> None:
    """Keep a slot for a section a later domain fills; a real registration replaces it."""
    registry.setdefault(key, Section(key, title, None, None, None, order))


def render_list(registry: dict[str, Section], session: Session, runtime, customer_id: int,
                can=lambda perm: True) -> list[tuple[Section, dict]]:
    """The registered sections the viewer may see, each with its loaded context (placeholders left out)."""
    out = []
    for section in sorted(registry.values(), key=lambda s: (s.order, s.key)):
        if section.template is None or (section.perm is not None and not can(section.perm)):
            continue
        out.append((section, section.loader(session, runtime, customer_id) if section.loader else {}))
    return out


def pending(registry: dict[str, Section]) -> list[Section]:
    """Placeholders no domain has filled yet, shown together as "coming later"."""
    return sorted((s for s in registry.values() if s.template is None), key=lambda s: (s.order, s.key))
