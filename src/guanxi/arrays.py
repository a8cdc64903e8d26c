"""Per-customer figures read in bulk, lined up with the customer ids a caller asked for."""

from __future__ import annotations

import numpy as np


def aligned(customer_ids, keys, values, *, columns: int = 1, fill: float = 0.0) -> np.ndarray:
    """Rows of ``values`` (``columns`` figures per id in ``keys``, ids unique) in the order of
    ``customer_ids``; ``fill`` for ids without a row. Result: float64, shape (len(customer_ids), columns)."""
    ids = np.asarray(customer_ids, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64).reshape(len(keys), columns)
    out = np.full((len(ids), columns), fill, dtype=np.float64)
    if len(keys) == 0 or len(ids) == 0:
        return out
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.searchsorted(sorted_ids, keys)
    hit = pos < len(ids)
    hit[hit] = sorted_ids[pos[hit]] == keys[hit]
    out[order[pos[hit]]] = values[hit]
    return out
