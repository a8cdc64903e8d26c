"""Keyset (cursor) pagination: stable under inserts and fast at any depth."""

from __future__ import annotations

import base64
import json

from guanxi.errors import Invalid

MAX_LIMIT = 500


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise Invalid("the cursor is not valid: pass back the next_cursor of a previous page",
                      errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}]) from None


def next_cursor(items: list, limit: int) -> str | None:
    return encode_cursor(items[-1].id) if len(items) == limit and items else None
