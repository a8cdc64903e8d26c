"""Choosing an agent: round-robin within a team among those with the skill, least loaded first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    skills: frozenset[str]           # "product", "logistics.late", or "*"
    open_tickets: int
    max_open: int | None = None
    last_assigned_at: dt.datetime | None = None
    available: bool = True

    def can_take(self, category: str | None, subcategory: str | None) -> bool:
        if not self.available or (self.max_open is not None and self.open_tickets >= self.max_open):
            return False
        if "*" in self.skills or category is None:
            return True
        return category in self.skills or f"{category}.{subcategory}" in self.skills


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def pick(candidates: Sequence[Candidate], category: str | None, subcategory: str | None) -> int | None:
    """The agent for the next ticket: among those who can take it, the fewest open tickets; on a tie,
    the one whose last assignment is oldest (round-robin), then the lowest id. None: nobody can."""
    able = [c for c in candidates if c.can_take(category, subcategory)]
    if not able:
        return None
    best = min(able, key=lambda c: (c.open_tickets, c.last_assigned_at or _NEVER, c.agent_id))
    return best.agent_id
