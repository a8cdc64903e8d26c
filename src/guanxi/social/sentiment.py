"""Sentiment of one mention, from −1 to 1 with a label, for Chinese (snownlp) and English (VADER).

Both libraries ship their models, so nothing is downloaded at run time. `baseline()` is the plain
library; `score()` is ours: the library's figure blended with shop-review word lists, negation,
questions read as neutral, and overrides for what is negative whatever the words around it
(a refund demanded, a counterfeit alleged, a complaint to an authority).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from guanxi.social import lexicon

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)
THRESHOLD = 0.2                # ours: |score| below this is neutral
OVERRIDE_SCORE = -0.6          # at most this when an override fires
CJK = re.compile(r"[\u4e00-\u9fff]")
_ZH_QUESTION = re.compile(r"[？?]\s*$|请问|吗[？?。！!]?\s*$|呢[？?]?\s*$|怎么|什么|几点|多少")


@dataclass(frozen=True)
class Sentiment:
    score: float               # −1 … 1
    label: str                 # positive | neutral | negative
    lang: str                  # zh | en
    override: str | None = None  # the words that forced the mention negative


def language_of(text: str) -> str:
    letters = sum(ch.isalpha() for ch in text) or 1
    return "zh" if len(CJK.findall(text)) / letters >= 0.2 else "en"


def label_of(score: float, threshold: float = THRESHOLD) -> str:
    if score >= threshold:
        return POSITIVE
    if score <= -threshold:
        return NEGATIVE
    return NEUTRAL


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _snownlp(text: str) -> float:
    """The library as shipped: its own segmenter, then its Bayes model (the baseline)."""
    from snownlp import SnowNLP

    return 2.0 * SnowNLP(text).sentiments - 1.0


@cache
def _snownlp_model():
    from snownlp import normal
    from snownlp.sentiment import classifier

    return classifier.classifier, normal.filter_stop


def _snownlp_jieba(text: str, words: list[str] | None = None) -> float:
    """snownlp's Bayes model over jieba's words: the same model, ~20× faster than its character-HMM segmenter."""
    from guanxi.social.aspects import words_of

    model, filter_stop = _snownlp_model()
    label, prob = model.classify(filter_stop(words if words is not None else words_of(text, "zh")))
    return 2.0 * (prob if label == "pos" else 1 - prob) - 1.0


def baseline(text: str, lang: str | None = None) -> Sentiment:
    """The plain library with its customary cut-offs: snownlp 0.4/0.6, VADER compound ±0.05."""
    lang = lang or language_of(text)
    if lang == "zh":
        s = _snownlp(text)
        return Sentiment(round(s, 4), label_of(s, 0.2), lang)
    c = _vader().polarity_scores(text)["compound"]
    return Sentiment(round(c, 4), label_of(c, 0.05), lang)


def _override(text: str) -> str | None:
    if lexicon.OVERRIDE_NEGATIONS.search(text):
        text = lexicon.OVERRIDE_NEGATIONS.sub(" ", text)
    for pattern in lexicon.OVERRIDES:
        found = pattern.search(text)
        if found:
            return found.group(0)
    return None


_CLAUSE_END = re.compile(r"[，,。.！!？?；;、\s]")
_NOT_NEGATORS = ("特别", "别人", "并不", "不过", "没想到")


def _clause_before(text: str, start: int, width: int = 3) -> str:
    """Up to `width` characters before `start` within the same clause, minus words that only look negating."""
    before = text[max(0, start - width):start]
    before = _CLAUSE_END.split(before)[-1]
    for word in _NOT_NEGATORS:
        before = before.replace(word, "")
    return before


@cache
def _zh_words() -> list[tuple[str, float]]:
    # Hedges weigh nothing but take their characters, so 差不多 is not 差.
    words = ([(w, 1.0) for w in lexicon.ZH_POSITIVE] + [(w, -1.0) for w in lexicon.ZH_NEGATIVE]
             + [(w, 0.0) for w in lexicon.ZH_HEDGES])
    return sorted(words, key=lambda item: -len(item[0]))  # longest first: 差远了 before 差


@cache
def _zh_regex() -> tuple[re.Pattern, dict[str, float]]:
    weights = dict(_zh_words())
    return re.compile("|".join(re.escape(w) for w, _ in _zh_words())), weights


def zh_lexicon(text: str) -> tuple[float, int]:
    """Sum of word polarities (negated by 不/没/无… just before, strengthened by 很/太… just before), hits.

    One pass, left to right, the longest word at each place (差远了 before 差)."""
    pattern, weights = _zh_regex()
    total, hits = 0.0, 0
    for m in pattern.finditer(text):
        polarity = weights[m.group(0)]
        if not polarity:
            continue
        before = _clause_before(text, m.start())
        weight = polarity
        if any(n in before for n in lexicon.ZH_NEGATORS):
            weight = -0.6 * polarity
        elif any(i in before for i in lexicon.ZH_INTENSIFIERS):
            weight *= 1.3
        total += weight
        hits += 1
    return total, hits


def _zh_score(text: str, words: list[str] | None = None) -> float:
    library = _snownlp_jieba(text, words)
    total, hits = zh_lexicon(text)
    if hits:
        return 0.75 * math.tanh(total / 1.2) + 0.25 * library
    # Without a shop-review word, snownlp alone reads many plain statements as negative: trust it only when sure.
    damp = 0.1 if (_ZH_QUESTION.search(text) or any(h in text for h in lexicon.ZH_HEDGES)) else 0.22
    return damp * library


@cache
def _en_patterns() -> tuple[list[re.Pattern], list[re.Pattern]]:
    return ([re.compile(p) for p in lexicon.EN_POSITIVE], [re.compile(p) for p in lexicon.EN_NEGATIVE])


def en_lexicon(text: str) -> tuple[int, int]:
    low = text.lower()
    pos, neg = _en_patterns()
    return sum(bool(p.search(low)) for p in pos), sum(bool(p.search(low)) for p in neg)


def _en_score(text: str) -> float:
    compound = _vader().polarity_scores(text)["compound"]
    pos, neg = en_lexicon(text)
    score = compound + 0.6 * pos - 0.7 * neg
    if not (pos or neg) and text.rstrip().endswith("?"):
        score *= 0.3
    elif not (pos or neg) and abs(compound) < 0.5:
        score *= 0.6  # a mild word alone ("please", "average") is not an opinion
    return max(-1.0, min(1.0, score))


def clause_score(text: str, lang: str) -> float:
    """A cheaper score for one clause of a text (aspects): the word lists and VADER, without snownlp."""
    if lang == "zh":
        total, hits = zh_lexicon(text)
        value = math.tanh(total / 1.2) if hits else 0.0
    else:
        value = _en_score(text)
    return OVERRIDE_SCORE if _override(text) else value


def score(text: str, lang: str | None = None, *, words: list[str] | None = None) -> Sentiment:
    """`words`: the text already cut by jieba (Chinese), to save cutting it twice."""
    lang = lang or language_of(text)
    value = _zh_score(text, words) if lang == "zh" else _en_score(text)
    forced = _override(text)
    if forced:
        value = min(value, OVERRIDE_SCORE)
    return Sentiment(round(value, 4), label_of(value), lang, forced)
