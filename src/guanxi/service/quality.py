"""Outgoing replies are checked for rude or banned words before they are sent (质检)."""

from __future__ import annotations

import re

from guanxi.errors import Invalid

# Words an agent must never send a customer; the shop extends the list.
BANNED = ("滚", "傻逼", "白痴", "闭嘴", "神经病", "爱买不买", "你有病", "stupid", "idiot", "shut up", "moron", "dumb")


def banned_words(text: str, words: tuple[str, ...] = BANNED) -> list[str]:
    low = text.lower()
    found = []
    for w in words:
        if any("\u4e00" <= ch <= "\u9fff" for ch in w):
            if w in low:
                found.append(w)
        elif re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", low):
            found.append(w)
    return found


def check_reply(text: str) -> None:
    found = banned_words(text)
    if found:
        raise Invalid("the reply contains words that may not be sent: " + ", ".join(found))
