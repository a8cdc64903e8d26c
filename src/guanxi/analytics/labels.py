"""Enums whose members carry their English and Chinese names, for the API and the pages."""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    """Members are declared as ``NAME = ("value", "English", "中文")``; the value alone is stored."""

    label_en: str
    label_zh: str

    def __new__(cls, value: str, label_en: str, label_zh: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_en = label_en
        member.label_zh = label_zh
        return member
