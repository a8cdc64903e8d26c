"""Message templates: sandboxed Jinja2, checked against a sample context when saved.

A template may use only the variables of SAMPLE_CONTEXT; the context built for a real
customer at send time has exactly the same shape, so a template that saved renders.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from guanxi.errors import Invalid

CHANNELS = ("email", "sms", "wechat", "webhook", "push", "inapp")
LOCALES = ("zh-CN", "en")
MAX_LENGTH = {"sms": 500, "wechat": 2000, "email": 100_000, "webhook": 20_000, "push": 1000, "inapp": 20_000}

SAMPLE_CONTEXT: dict[str, Any] = {
    "customer": {"id": 1, "name": "王小明", "first_name": "小明", "city": "上海", "locale": "zh-CN",
                 "tier": "gold", "points": 1200, "birthday": "05-17", "member_since": "2024-03-01"},
    "offer": {"kind": "coupon", "code": "BDAY-8H2K", "title": "生日礼券 ¥20", "points": 0, "expires": "2026-06-17"},
    "occasion": {"key": "mid_autumn", "date": "2026-09-25", "time": "19:00", "title": "新品品鉴会",
                 "link": "https://shop.example/m/#activities"},
    "order": {"id": 1, "external_id": "A1001", "placed_at": "2026-05-01", "delivered_at": "2026-05-03",
              "total": "¥199.00"},
    "products": [{"sku": "TEA-01", "name": "西湖龙井"}],
    "shop": {"name": "Guanxi"},
    "links": {"unsubscribe": "https://shop.example/u/abc", "preferences": "https://shop.example/m"},
    "personalised": True,
}

# Words Chinese advertising law forbids in ads (广告法 极限词): a marketing text with one is stopped.
BANNED_WORDS = ("最好", "最佳", "最优", "最低价", "最高级", "第一", "唯一", "首个", "首选", "国家级", "世界级",
                "顶级", "极致", "绝对", "万能", "史无前例", "全网最低", "独一无二")

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@functools.lru_cache(maxsize=512)
def _compiled(text: str):
    # Compiling is most of the cost of a render; the same text compiles to the same template, so a
    # campaign's audience compiles each variant once. Errors are not cached (lru_cache never caches raises).
    return _env.from_string(text)


def _compile(text: str, where: str):
    try:
        return _compiled(text)
    except TemplateError as exc:
        raise Invalid(f"the {where} is not a valid template: {exc}",
                      errors=[{"loc": ["body", where], "msg": str(exc)}]) from None


def render(subject: str | None, body: str, context: dict[str, Any]) -> tuple[str | None, str]:
    try:
        out_subject = _compile(subject, "subject").render(context).strip() if subject else None
        out_body = _compile(body, "body").render(context).strip()
    except TemplateError as exc:  # includes UndefinedError and the sandbox's SecurityError
        raise Invalid(f"the template does not render: {exc}",
                      errors=[{"loc": ["body", "body"], "msg": str(exc)}]) from None
    return out_subject, out_body


def validate(channel: str, locale: str, subject: str | None, body: str) -> tuple[str | None, str]:
    """Check a template before it is saved: known channel and locale, renders against the sample."""
    if channel not in CHANNELS:
        raise Invalid(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    if locale not in LOCALES:
        raise Invalid(f"unknown locale {locale!r}; use one of {', '.join(LOCALES)}")
    if not body or not body.strip():
        raise Invalid("a template needs a body", errors=[{"loc": ["body", "body"], "msg": "empty"}])
    if channel == "email" and not (subject or "").strip():
        raise Invalid("an e-mail template needs a subject", errors=[{"loc": ["body", "subject"], "msg": "empty"}])
    sample = render(subject, body, SAMPLE_CONTEXT)
    if len(sample[1]) > MAX_LENGTH[channel]:
        raise Invalid(f"a {channel} message is at most {MAX_LENGTH[channel]} characters "
                      f"(this one renders to {len(sample[1])})")
    return sample


def banned_words(*texts: str | None) -> list[str]:
    found = []
    for text in texts:
        for word in BANNED_WORDS:
            if text and word in text and word not in found:
                found.append(word)
    return found


def variables_in(text: str) -> list[str]:
    """Top-level names a template mentions (shown to the content team as a hint)."""
    return sorted(set(re.findall(r"{{\s*([a-z_]+)", text or "")))
