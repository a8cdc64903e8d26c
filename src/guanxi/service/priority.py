"""Importance × urgency → priority P1–P4, the VIP bump and the escalation step."""

from __future__ import annotations

LEVELS = ("low", "medium", "high")
PRIORITIES = ("P1", "P2", "P3", "P4")

# rows: importance, columns: urgency (low, medium, high)
MATRIX: dict[str, tuple[str, str, str]] = {
    "high": ("P2", "P2", "P1"),
    "medium": ("P3", "P3", "P2"),
    "low": ("P4", "P4", "P3"),
}


def priority_of(importance: str, urgency: str, *, vip: bool = False) -> str:
    if importance not in LEVELS or urgency not in LEVELS:
        raise ValueError(f"importance and urgency are one of {', '.join(LEVELS)}")
    priority = MATRIX[importance][LEVELS.index(urgency)]
    return raised(priority) if vip else priority


def raised(priority: str) -> str:
    """One step more urgent (P1 stays P1): a VIP customer, or a breached SLA."""
    i = PRIORITIES.index(priority)
    return PRIORITIES[max(i - 1, 0)]
