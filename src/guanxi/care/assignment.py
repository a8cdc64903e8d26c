"""A/B variants and the hold-out group: a stable, even split by hashing (campaign, customer)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

CONTROL = "control"


def _bucket(campaign_id: int, customer_id: int, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{campaign_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(campaign_id: int, customer_id: int, variants: Sequence[tuple[str, int]],
           control_percent: int) -> tuple[str, bool]:
    """(variant name, in the hold-out group). The same customer always lands in the same place."""
    if not 0 <= control_percent <= 100:
        raise ValueError("control_percent is 0 to 100")
    if _bucket(campaign_id, customer_id, "control") * 100 < control_percent:
        return CONTROL, True
    weights = [(name, w) for name, w in variants if w > 0]
    if not weights:
        raise ValueError("a campaign needs at least one variant with a positive weight")
    point = _bucket(campaign_id, customer_id, "variant") * sum(w for _, w in weights)
    for name, weight in weights:
        if point < weight:
            return name, False
        point -= weight
    return weights[-1][0], False
