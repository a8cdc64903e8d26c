"""A multinomial naive Bayes over ticket texts (zh and en), trained on the categories staff gave closed tickets.

Pure: training, prediction, the held-out split and the comparison with the keyword rules take plain lists
and return plain values; training.py reads the tickets and keeps the model. Chinese is cut into words with
jieba, other text into lower-case words; a Chinese character pair model would need far more tickets.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from guanxi.service import taxonomy

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
MAX_VOCABULARY = 5000          # the most frequent words; the rest are too rare to learn from
MIN_EXAMPLES = 30              # fewer closed tickets than this: keep the keyword rules
HOLDOUT_SHARE = 0.25


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(text: str) -> list[str]:
    """Chinese runs cut by jieba, other words lower-cased; punctuation and spaces dropped."""
    text = (text or "").lower()
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        out.extend(w for w in _jieba().lcut(run) if w.strip())
    out.extend(_LATIN_WORD.findall(_CJK_RUN.sub(" ", text)))
    return out


@dataclass(frozen=True)
class Model:
    labels: tuple[str, ...]             # "category.subcategory"
    vocabulary: dict[str, int]          # word → column
    log_prior: np.ndarray               # (classes,)
    log_likelihood: np.ndarray          # (classes, words)

    def to_json(self) -> dict:
        words_in_order = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {"labels": list(self.labels), "words": words_in_order,
                "log_prior": [round(float(x), 6) for x in self.log_prior],
                "log_likelihood": [[round(float(x), 6) for x in row] for row in self.log_likelihood]}

    @classmethod
    def from_json(cls, data: dict) -> Model:
        return cls(tuple(data["labels"]), {w: i for i, w in enumerate(data["words"])},
                   np.asarray(data["log_prior"], dtype=float), np.asarray(data["log_likelihood"], dtype=float))


def train(texts: Sequence[str], labels: Sequence[str], *, alpha: float = 1.0) -> Model:
    """Word counts per class with Laplace smoothing (`alpha`)."""
    if len(texts) != len(labels) or not texts:
        raise ValueError("one label per text, at least one text")
    docs = [words(t) for t in texts]
    counts = Counter(w for d in docs for w in d)
    vocabulary = {w: i for i, (w, _) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_VOCABULARY])}
    classes = tuple(sorted(set(labels)))
    row_of = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(vocabulary)))
    for doc, label in zip(docs, labels, strict=True):
        for w in doc:
            if w in vocabulary:
                matrix[row_of[label], vocabulary[w]] += 1
    per_class = Counter(labels)
    log_prior = np.log(np.array([per_class[c] for c in classes], dtype=float) / len(labels))
    smoothed = matrix + alpha
    log_likelihood = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))
    return Model(classes, vocabulary, log_prior, log_likelihood)


def predict(model: Model, text: str) -> tuple[str, float] | None:
    """The likeliest label and its posterior probability; None when no word of the text is known."""
    columns = [model.vocabulary[w] for w in words(text) if w in model.vocabulary]
    if not columns:
        return None
    scores = model.log_prior + model.log_likelihood[:, columns].sum(axis=1)
    posterior = np.exp(scores - scores.max())
    posterior /= posterior.sum()
    best = int(posterior.argmax())
    return model.labels[best], round(float(posterior[best]), 3)


def is_held_out(key: int, share: float = HOLDOUT_SHARE) -> bool:
    """A fixed split by the ticket's id: the same tickets are held out at every retraining."""
    return zlib.crc32(str(key).encode()) % 1000 < share * 1000


def accuracy_of(guesses: Sequence[str | None], truth: Sequence[str]) -> float | None:
    """Share of right guesses; no guess counts as wrong."""
    return round(sum(g == t for g, t in zip(guesses, truth, strict=True)) / len(truth), 4) if truth else None


@dataclass(frozen=True)
class Evaluation:
    examples: int
    held_out: int
    naive_bayes: float | None       # accuracy on the held-out tickets
    keywords: float | None
    model: Model | None             # trained on every example, when naive Bayes won

    @property
    def use_model(self) -> bool:
        return self.model is not None


def evaluate(examples: Sequence[tuple[int, str, str]], rules: Sequence[taxonomy.Rule], *,
             min_examples: int = MIN_EXAMPLES) -> Evaluation:
    """(ticket id, text, final label) → both accuracies on the held-out tickets, and the model to use.

    The model is used only when it beats the keyword rules there; it is then retrained on all examples.
    """
    train_set = [(t, y) for key, t, y in examples if not is_held_out(key)]
    test_set = [(t, y) for key, t, y in examples if is_held_out(key)]
    truth = [y for _, y in test_set]
    keywords = accuracy_of([_rule_label(taxonomy.suggest(t, rules)) for t, _ in test_set], truth)
    if len(examples) < min_examples or not test_set or len({y for _, y in train_set}) < 2:
        return Evaluation(len(examples), len(test_set), None, keywords, None)
    trial = train([t for t, _ in train_set], [y for _, y in train_set])
    naive_bayes = accuracy_of([(predict(trial, t) or (None,))[0] for t, _ in test_set], truth)
    if naive_bayes <= keywords:
        return Evaluation(len(examples), len(test_set), naive_bayes, keywords, None)
    final = train([t for _, t, _ in examples], [y for _, _, y in examples])
    return Evaluation(len(examples), len(test_set), naive_bayes, keywords, final)


def _rule_label(s: taxonomy.Suggestion | None) -> str | None:
    return f"{s.category}.{s.subcategory}" if s else None
