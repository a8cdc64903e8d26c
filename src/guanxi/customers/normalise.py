"""Cleaning rules: one canonical form per value, so the same person matches across channels."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import phonenumbers

from guanxi.errors import Invalid

IDENTITY_KINDS = ("email", "phone", "wechat_openid", "wechat_unionid", "douyin_id", "weibo_id",
                  "shopify_id", "external")
# Kinds whose values are only unique within a source (a shop's own ids).
SOURCED_KINDS = {"external", "shopify_id"}

_EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def clean_text(value: str) -> str:
    """NFKC (full-width → half-width), trimmed, inner whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", value)).strip()


# Imports repeat the same address and number many times; parsing them is a hot spot.
@functools.lru_cache(maxsize=65536)
def email(value: str) -> str:
    v = clean_text(value).lower()
    if not _EMAIL.match(v):
        raise Invalid(f"{value!r} is not a valid e-mail address")
    return v


@functools.lru_cache(maxsize=65536)
def phone(value: str, region: str = "CN") -> str:
    """E.164, e.g. "+8613800138000"; numbers without a country code take the shop's region."""
    v = clean_text(value)
    try:
        parsed = phonenumbers.parse(v, region)
    except phonenumbers.NumberParseException:
        raise Invalid(f"{value!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid(f"{value!r} is not a valid phone number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def identity(kind: str, value: str, region: str = "CN") -> str:
    if kind == "email":
        return email(value)
    if kind == "phone":
        return phone(value, region)
    if kind not in IDENTITY_KINDS:
        raise Invalid(f"unknown identity kind {kind!r}; use one of: {', '.join(IDENTITY_KINDS)}")
    v = clean_text(value)
    if not v or len(v) > 200:
        raise Invalid(f"a {kind} must be 1 to 200 characters")
    return v


@functools.cache
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def name_key(value: str) -> str:
    """A match key for names: NFKC, Traditional → Simplified, lower case, no spaces or punctuation."""
    return _NOT_WORD.sub("", _t2s().convert(clean_text(value)).lower())


def birthday(value: str) -> str:
    """"YYYY-MM-DD" or month-day only as "--MM-DD" (also accepts "MM-DD"); 29 February allowed."""
    v = clean_text(value)
    m = re.fullmatch(r"(?:(\d{4})-|-{0,2})(\d{1,2})-(\d{1,2})", v)
    if not m:
        raise Invalid(f"{value!r} is not a birthday: use YYYY-MM-DD, or --MM-DD when the year is unknown")
    year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
    try:
        dt.date(int(year) if year else 2000, month, day)  # 2000 is a leap year: 02-29 passes
    except ValueError:
        raise Invalid(f"{value!r} is not a real date") from None
    if year and not (1900 <= int(year) <= dt.date.today().year):
        raise Invalid(f"{value!r}: the birth year is out of range")
    return f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def birthday_month_day(normalised: str) -> str:
    return normalised[-5:]


def mask(kind: str, value: str | None) -> str | None:
    """What a role without personal-data access sees: 138****5678, l***@example.com, 李*."""
    if value is None:
        return None
    if kind == "phone":
        digits = value.removeprefix("+86") if value.startswith("+86") else value
        return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "name":
        return value[:1] + "*" * max(1, min(len(value) - 1, 3))
    if kind == "birthday":
        return "--" + value[-5:-3] + "-**"
    if len(value) <= 4:
        return "****"
    return value[:2] + "****" + value[-2:]
