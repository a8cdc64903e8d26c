"""Aspects of a review (logistics, quality, service, price) by keyword dictionaries, each with its sentiment.

Chinese text is cut into words with jieba (its dictionary ships with the package); a clause that names an
aspect lends the aspect its own sentiment, so "物流很快，但是质量差" is logistics +, quality −.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache

from guanxi.social import sentiment

ASPECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "logistics": {
        "zh": ("物流", "快递", "发货", "到货", "送货", "配送", "包装", "包裹", "签收", "派送", "隔天达", "快递员",
               "快递小哥", "运输", "破损", "漏发", "发错", "少发", "丢件"),
        "en": ("shipping", "shipped", "delivery", "delivered", "courier", "arrived", "arrive", "package",
               "packaging", "packed", "tracking", "dispatch", "box", "parcel", "ship"),
    },
    "quality": {
        "zh": ("质量", "做工", "品质", "面料", "材质", "正品", "假货", "高仿", "坏", "开线", "线头", "耐用", "效果",
               "味道", "异味", "色差", "尺码", "质感", "新鲜", "过期", "坏点", "噪音", "安全"),
        "en": ("quality", "material", "fabric", "stitching", "made", "broke", "broken", "defective", "fake",
               "counterfeit", "genuine", "works", "working", "battery", "fade", "rotten", "fresh", "size",
               "threads", "build", "expired", "hazard"),
    },
    "service": {
        "zh": ("客服", "服务", "态度", "售后", "回复", "店家", "卖家", "商家", "主播", "退款", "退货", "换货",
               "投诉", "处理", "师傅"),
        "en": ("service", "support", "seller", "staff", "agent", "replied", "answered", "responded", "refund",
               "exchange", "host", "return", "helpful", "shop"),
    },
    "price": {
        "zh": ("价格", "价钱", "性价比", "便宜", "贵", "划算", "实惠", "值", "活动价", "打折", "优惠", "保价",
               "物美价廉", "一分钱一分货"),
        "en": ("price", "priced", "overpriced", "cheap", "cheaper", "expensive", "value", "worth", "money",
               "deal", "discount", "penny"),
    },
}
_CLAUSES = re.compile(r"[，,。.！!？?；;\n]+|\bbut\b|但是|可惜|不过", re.I)
_EN_WORD = re.compile(r"[a-z]+")
for _vocab in ASPECTS.values():
    _vocab["en"] = frozenset(_vocab["en"])


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for words in ASPECTS.values():
        for word in words["zh"]:
            jieba.add_word(word)
    return jieba


def words_of(text: str, lang: str) -> list[str]:
    if lang == "zh":
        return [w for w in _jieba().lcut(text) if w.strip()]
    return _EN_WORD.findall(text.lower())


@cache
def _zh_aspect_patterns() -> dict[str, re.Pattern]:
    return {a: re.compile("|".join(map(re.escape, v["zh"]))) for a, v in ASPECTS.items()}


def _named(clause: str, words: list[str], lang: str) -> set[str]:
    if lang == "zh":
        # Search the clause's text: jieba may keep a keyword inside a longer word (快递小哥).
        return {a for a, p in _zh_aspect_patterns().items() if p.search(clause)}
    return {a for a, v in ASPECTS.items() if not v["en"].isdisjoint(words)}


def _clauses(text: str, words: list[str], lang: str) -> list[tuple[str, list[str]]]:
    if lang != "zh":
        return [(c, _EN_WORD.findall(c.lower())) for c in _CLAUSES.split(text) if c and c.strip()]
    out, current = [], []
    for w in words:
        if _CLAUSES.fullmatch(w):
            if current:
                out.append(("".join(current), current))
            current = []
        else:
            current.append(w)
    if current:
        out.append(("".join(current), current))
    return out


def aspects(text: str, lang: str | None = None, *, words: list[str] | None = None) -> dict[str, float]:
    """{aspect: sentiment −1…1} for each aspect the text names (the mean over the clauses that name it)."""
    lang = lang or sentiment.language_of(text)
    words = words if words is not None else words_of(text, lang)
    scores: dict[str, list[float]] = {}
    for clause, clause_words in _clauses(text, words, lang):
        named = _named(clause, clause_words, lang)
        if named:
            value = sentiment.clause_score(clause, lang)
            for aspect in named:
                scores.setdefault(aspect, []).append(value)
    return {a: round(sum(v) / len(v), 4) for a, v in sorted(scores.items())}


@dataclass(frozen=True)
class Analysis:
    sentiment: sentiment.Sentiment
    aspects: dict[str, float]
    keywords: list[str]


def analyse(text: str) -> Analysis:
    """Sentiment, aspects and keywords of one text, cutting it into words once."""
    lang = sentiment.language_of(text)
    words = words_of(text, lang)
    return Analysis(sentiment.score(text, lang, words=words if lang == "zh" else None),
                    aspects(text, lang, words=words), keywords(text, lang, words=words))


def keywords(text: str, lang: str | None = None, *, limit: int = 8, words: list[str] | None = None) -> list[str]:
    """Content words for the dashboard's top keywords (two characters or more in Chinese, four letters in English)."""
    lang = lang or sentiment.language_of(text)
    out = []
    for w in (words if words is not None else words_of(text, lang)):
        if (lang == "zh" and len(w) >= 2 and sentiment.CJK.search(w) and w not in _ZH_STOP) or (lang == "en" and len(w) >= 4
                                                                           and w not in _EN_STOP):
            if w not in out:
                out.append(w)
    return out[:limit]


_ZH_STOP = frozenset("但是 可是 就是 还是 已经 我们 你们 他们 这个 那个 什么 一个 没有 因为 所以 而且 也是 收到 东西 "
                     "感觉 真的 非常 还有 自己 这次 一下 一直".split())
_EN_STOP = frozenset("this that with have from they were been will would what when your just than then them there "
                     "their after about very really even into only also again over such does item order".split())
