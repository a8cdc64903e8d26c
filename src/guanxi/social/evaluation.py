"""Accuracy and macro-F1 of a sentiment scorer on a labelled set (values in, figures out)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from guanxi.social.sentiment import LABELS, Sentiment


@dataclass(frozen=True)
class Figures:
    n: int
    accuracy: float
    macro_f1: float

    def as_dict(self) -> dict:
        return {"n": self.n, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4)}


def figures(gold: list[str], predicted: list[str], labels: Iterable[str] = LABELS) -> Figures:
    if len(gold) != len(predicted) or not gold:
        raise ValueError("gold and predicted labels must be non-empty and of one length")
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    f1s = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return Figures(len(gold), correct / len(gold), sum(f1s) / len(f1s))


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(rows: list[dict], scorer: Callable[[str, str], Sentiment]) -> dict[str, Figures]:
    """Figures for all rows and per language."""
    out = {}
    for name, subset in [("all", rows), *((lang, [r for r in rows if r["lang"] == lang]) for lang in ("zh", "en"))]:
        if subset:
            out[name] = figures([r["label"] for r in subset], [scorer(r["text"], r["lang"]).label for r in subset])
    return out
