"""Complaint categories and the keyword rules that suggest one from a ticket's text (zh and en).

Pure: the default taxonomy is data; the shop's edited copy lives in `ticket_categories`
(see categories.py) and is passed in as `Rule`s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CATEGORIES = ("product", "logistics", "service", "system")


@dataclass(frozen=True)
class Rule:
    category: str
    code: str            # subcategory
    name_en: str
    name_zh: str
    keywords: tuple[str, ...]


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("product", "quality", "Quality", "质量问题",
         ("质量", "坏了", "故障", "不能用", "用不了", "开线", "掉色", "瑕疵", "次品", "起球", "异味",
          "quality", "defect", "defective", "faulty", "stopped working", "doesn't work", "does not work",
          "broke after")),
    Rule("product", "not_as_described", "Not as described", "与描述不符",
         ("不符", "与描述", "色差", "尺码不对", "货不对板", "图片不一样", "和图片", "描述",
          "not as described", "different from the picture", "wrong size", "wrong colour", "wrong color",
          "misleading", "not what i ordered")),
    Rule("product", "counterfeit", "Counterfeit", "假冒商品",
         ("假货", "假的", "仿冒", "山寨", "不是正品", "高仿", "防伪",
          "counterfeit", "fake", "not genuine", "knock-off", "knockoff", "replica")),
    Rule("logistics", "late", "Late delivery", "物流延迟",
         ("还没到", "没到", "物流慢", "延迟", "迟迟", "快递慢", "一直没发货", "没发货", "催单", "几天了",
          "late", "delay", "delayed", "not arrived", "hasn't arrived", "has not arrived", "still waiting",
          "slow delivery", "not shipped")),
    Rule("logistics", "damaged", "Damaged in transit", "运输破损",
         ("破损", "压坏", "碎了", "包装破", "摔坏", "压扁", "漏了",
          "damaged", "crushed", "smashed", "torn", "dented", "leaking", "broken in transit")),
    Rule("logistics", "lost", "Lost parcel", "包裹丢失",
         ("丢件", "丢失", "丢了", "显示签收", "没收到", "没有收到", "被冒领",
          "lost", "missing parcel", "marked as delivered", "never received", "never arrived", "didn't receive",
          "did not receive")),
    Rule("service", "slow", "Slow response", "响应慢",
         ("回复慢", "没人回", "没人理", "等了很久", "客服慢", "不回复", "联系不上",
          "no reply", "no response", "slow response", "nobody answers", "no one answers", "waited for hours")),
    Rule("service", "attitude", "Staff attitude", "服务态度",
         ("态度", "不耐烦", "骂", "敷衍", "不礼貌", "凶",
          "rude", "attitude", "impolite", "unhelpful", "disrespectful", "arrogant")),
    Rule("service", "after_sales", "After-sales", "售后",
         ("售后", "退货", "退款", "换货", "保修", "维修", "七天无理由",
          "after-sales", "after sales", "return", "refund", "exchange", "warranty", "repair")),
    Rule("system", "site_app", "Site or app", "网站/App",
         ("打不开", "闪退", "页面", "网站", "卡顿", "报错", "加载", "白屏",
          "website", "app crash", "crashes", "not loading", "error message", "page", "bug")),
    Rule("system", "payment", "Payment", "支付",
         ("支付", "付款", "扣款", "重复扣", "扣了两次", "支付宝", "微信支付", "扣费",
          "payment", "charged twice", "double charge", "card declined", "paid twice", "charged")),
    Rule("system", "account", "Account", "账号",
         ("账号", "帐号", "登录", "登陆", "密码", "验证码", "注册", "账户",
          "account", "login", "log in", "password", "verification code", "sign in", "locked out")),
)


@dataclass(frozen=True)
class Suggestion:
    category: str
    subcategory: str
    confidence: float          # 0..1
    matched: tuple[str, ...]


def _is_cjk(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


def _hits(text: str, keywords: Iterable[str]) -> list[str]:
    found = []
    for word in keywords:
        w = word.lower()
        if _is_cjk(w):
            if w in text:
                found.append(word)
        elif re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", text):
            found.append(word)
    return found


def suggest(text: str, rules: Sequence[Rule] = DEFAULT_RULES) -> Suggestion | None:
    """The best-matching subcategory, or None when no keyword matches.

    Confidence grows with the number of matched keywords (a longer keyword weighs more) and
    shrinks when another subcategory matches too.
    """
    text = (text or "").lower()
    scores = []
    for rule in rules:
        hits = _hits(text, rule.keywords)
        if hits:
            weight = sum(1.0 + 0.1 * min(len(h), 10) for h in hits)
            scores.append((weight, rule, tuple(hits)))
    if not scores:
        return None
    scores.sort(key=lambda s: -s[0])
    best, rule, hits = scores[0]
    share = best / sum(s[0] for s in scores)
    strength = 1 - 0.5 ** best
    return Suggestion(rule.category, rule.code, round(share * strength, 3), hits)


@dataclass(frozen=True)
class Accuracy:
    suggested: int     # tickets that had a suggestion and a confirmed category
    correct: int

    @property
    def rate(self) -> float | None:
        return self.correct / self.suggested if self.suggested else None


def accuracy(pairs: Iterable[tuple[str | None, str | None]]) -> Accuracy:
    """(suggested subcategory key, final subcategory key) pairs → how often the suggestion held."""
    seen = correct = 0
    for suggested, final in pairs:
        if suggested is None or final is None:
            continue
        seen += 1
        correct += suggested == final
    return Accuracy(seen, correct)
