"""Canned replies with variables, in both languages, and macros (status + reply + tag).

CANNED are the built-in defaults; the shop's editable store (canned_store.py) is seeded from them.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from guanxi.errors import Invalid

VARIABLES = ("customer", "ticket", "agent", "days")


@dataclass(frozen=True)
class Canned:
    key: str
    title_en: str
    title_zh: str
    body_en: str
    body_zh: str
    status: str | None = None     # a macro also moves the ticket …
    tag: str | None = None        # … and tags it


CANNED: dict[str, Canned] = {c.key: c for c in (
    Canned("apology", "Apology, looking into it", "致歉并跟进",
           "Dear $customer, we are sorry about this and are looking into ticket #$ticket now. — $agent",
           "$customer 您好，非常抱歉给您带来不便，我们正在处理工单 #$ticket。— $agent"),
    Canned("need_photo", "Ask for a photo", "请提供照片",
           "Dear $customer, could you send us a photo of the item and the parcel? — $agent",
           "$customer 您好，麻烦您拍一张商品和包裹的照片发给我们，谢谢！— $agent", status="waiting", tag="photo-requested"),
    Canned("refund_done", "Refund issued", "已退款",
           "Dear $customer, your refund is on its way and arrives within $days working days. — $agent",
           "$customer 您好，退款已发起，预计 $days 个工作日内到账。— $agent", tag="refunded"),
    Canned("points_granted", "Goodwill points", "补偿积分",
           "Dear $customer, we have added goodwill points to your account as an apology. — $agent",
           "$customer 您好，为表歉意，我们已为您的账户补偿了积分。— $agent"),
)}


def check_body(body: str) -> None:
    """A body may use only the known $variables, written validly ($$ for a dollar sign)."""
    template = string.Template(body)
    if not template.is_valid():
        raise Invalid("a canned reply has a stray $: write $$ for a dollar sign, or one of "
                      + ", ".join(f"${v}" for v in VARIABLES))
    unknown = set(template.get_identifiers()) - set(VARIABLES)
    if unknown:
        raise Invalid(f"unknown variables {', '.join('$' + v for v in sorted(unknown))}; "
                      f"a canned reply may use {', '.join('$' + v for v in VARIABLES)}")


def fill(body: str, **values: object) -> str:
    unknown = set(values) - set(VARIABLES)
    if unknown:
        raise Invalid(f"unknown variables: {', '.join(sorted(unknown))}")
    return string.Template(body).safe_substitute({"days": 3, **{k: v for k, v in values.items() if v is not None}})


def render(key: str, locale: str, **values: object) -> str:
    canned = CANNED.get(key)
    if canned is None:
        raise Invalid(f"no canned reply {key!r}")
    return fill(canned.body_zh if locale.startswith("zh") else canned.body_en, **values)


def title(key: str, locale: str) -> str:
    c = CANNED[key]
    return c.title_zh if locale.startswith("zh") else c.title_en
