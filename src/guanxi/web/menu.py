"""The admin menu: each page module adds its entry; a role sees the entries it may open."""

from __future__ import annotations

from dataclasses import dataclass

from guanxi.staff.roles import Actor, Perm


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str          # a catalogue msgid, marked with N_() where it is declared
    path: str
    perm: Perm | None   # None: every signed-in staff member
    group: str = "main"  # "main" (top menu) or "settings"
    order: int = 100


MENU: dict[str, MenuEntry] = {}


def add(key: str, label: str, path: str, perm: Perm | None, *, group: str = "main", order: int = 100) -> MenuEntry:
    entry = MenuEntry(key=key, label=label, path=path, perm=perm, group=group, order=order)
    MENU[key] = entry
    return entry


def visible(actor: Actor, group: str | None = None) -> list[MenuEntry]:
    entries = [e for e in MENU.values() if (e.perm is None or actor.can(e.perm)) and (group is None or e.group == group)]
    return sorted(entries, key=lambda e: (e.order, e.key))


def landing(actor: Actor) -> str:
    """Where a staff member lands after sign-in: the first page the role may open."""
    entries = visible(actor, "main") or visible(actor, "settings")
    return entries[0].path if entries else "/account"
