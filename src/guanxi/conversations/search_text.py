"""Words to search by, for Chinese and English alike: values in, values out.

Chinese has no spaces, so Chinese runs become overlapping character pairs (bigrams) plus single
characters; other text becomes lower-cased words. Ranking is BM25 over those terms, good enough
for a shop's few hundred articles and with no model to download.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_STOP = {"the", "a", "an", "of", "to", "and", "or", "is", "are", "my", "i", "you", "do", "does", "how", "what",
         "can", "in", "on", "for", "it", "with", "be", "me", "your", "的", "了", "吗", "呢", "是", "我", "你"}


def terms(text: str) -> list[str]:
    text = text.lower()
    out: list[str] = []
    for run in _CJK.findall(text):
        out.extend(ch for ch in run if ch not in _STOP)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(_CJK.sub(" ", text)):
        if word not in _STOP:
            out.append(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return out


def rank(query: str, documents: Sequence[str], *, k1: float = 1.4, b: float = 0.75) -> list[tuple[int, float]]:
    """(document index, score) of the documents sharing a term with the query, best first."""
    q = set(terms(query))
    if not q or not documents:
        return []
    docs = [Counter(terms(d)) for d in documents]
    avg = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    df = Counter(t for d in docs for t in q if t in d)
    n = len(docs)
    scored = []
    for i, d in enumerate(docs):
        length = sum(d.values())
        score = 0.0
        for t in q:
            if t in d:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                score += idf * d[t] * (k1 + 1) / (d[t] + k1 * (1 - b + b * length / avg))
        if score > 0:
            scored.append((i, score))
    return sorted(scored, key=lambda x: (-x[1], x[0]))
