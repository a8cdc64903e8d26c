"""Reading one cell of an import row: amounts, counts, times, yes/no. A bad cell raises `CellError`."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from guanxi.money import MAX_MINOR, is_currency, to_minor


class CellError(Exception):
    def __init__(self, column: str, value: str, reason: str):
        super().__init__(f"{column}: {reason}")
        self.column, self.value, self.reason = column, value, reason


_CURRENCY_SIGNS = re.compile(r"^[¥$€£₩]|^(?:RMB|CNY|USD|EUR)\s*", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?")
_OFFSET = re.compile(r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_YES = {"yes", "y", "true", "1", "是", "subscribed", "opted_in"}
_NO = {"no", "n", "false", "0", "否", "not_subscribed", "unsubscribed", "opted_out"}


def currency(column: str, value: str, default: str | None = None) -> str:
    code = value.strip().upper() or (default or "")
    if not code:
        raise CellError(column, value, "the currency is missing (an ISO 4217 code such as CNY or USD)")
    if not is_currency(code):
        raise CellError(column, value, "not an ISO 4217 currency code (e.g. CNY, USD)")
    return code


def amount(column: str, value: str, code: str, *, default: int | None = None) -> int:
    """A decimal amount ("1,299.00", "¥25.80") in the currency's minor units; never negative."""
    text = _CURRENCY_SIGNS.sub("", unicodedata.normalize("NFKC", value).strip()).strip()
    if not text:
        if default is None:
            raise CellError(column, value, "the amount is missing")
        return default
    try:
        minor = to_minor(text, code)
    except ValueError as exc:
        raise CellError(column, value, str(exc)) from None
    if minor < 0:
        raise CellError(column, value, "the amount must not be negative")
    if minor > MAX_MINOR:
        raise CellError(column, value, "the amount is too large")
    return minor


def count(column: str, value: str, *, maximum: int = 1_000_000) -> int:
    """A whole number of items, at least 1."""
    text = unicodedata.normalize("NFKC", value).strip()
    if re.fullmatch(r"[+-]?\d+(\.0*)?", text) is None:
        raise CellError(column, value, "not a whole number" if text else "the quantity is missing")
    number = int(text.split(".")[0])
    if number < 0:
        raise CellError(column, value, "the quantity must not be negative")
    if number == 0:
        raise CellError(column, value, "the quantity must be at least 1")
    if number > maximum:
        raise CellError(column, value, f"the quantity is more than {maximum:,}")
    return number


def timestamp(column: str, value: str, tz: ZoneInfo) -> dt.datetime:
    """A time in UTC from ISO 8601, "2026-11-11 10:00:00 +0800" (Shopify) or "2026/11/11 10:00".

    A time without an offset is in the shop's time zone; a date alone is its midnight.
    """
    text = value.strip()
    if _ISO.fullmatch(text):  # the common case, parsed in C
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise CellError(column, value, "not a real date or time") from None
        return _in_range(column, value, when if when.tzinfo else when.replace(tzinfo=tz))
    text = unicodedata.normalize("NFKC", text)
    offset = _OFFSET.search(text)
    body = text[:offset.start()] if offset else text
    match = _DATE.fullmatch(body)
    if match is None:
        raise CellError(column, value, "not a date and time: use ISO 8601, e.g. 2026-11-11T10:00:00+08:00"
                        if text else "the date is missing")
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        when = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                           int(float(fraction) * 1_000_000) if fraction else 0)
    except ValueError:
        raise CellError(column, value, "not a real date or time") from None
    if offset:
        sign = offset.group(1).upper()
        if sign in ("Z", "UTC", "GMT"):
            zone: dt.tzinfo = dt.UTC
        else:
            digits = sign.replace(":", "")
            delta = dt.timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
            if delta > dt.timedelta(hours=14):
                raise CellError(column, value, "the UTC offset is out of range")
            zone = dt.timezone(-delta if digits[0] == "-" else delta)
        when = when.replace(tzinfo=zone)
    else:
        when = when.replace(tzinfo=tz)
    return _in_range(column, value, when)


def _in_range(column: str, value: str, when: dt.datetime) -> dt.datetime:
    if not 1970 <= when.year <= 2100:
        raise CellError(column, value, "the year is out of range (1970-2100)")
    return when.astimezone(dt.UTC)


def compact_date(column: str, value: str, tz: ZoneInfo) -> dt.datetime:
    """YYYYMMDD (the CDNOW logs) as midnight in the given zone, in UTC."""
    if len(value) != 8 or not value.isdigit():
        raise CellError(column, value, "not a date in the form YYYYMMDD")
    try:
        day = dt.datetime(int(value[:4]), int(value[4:6]), int(value[6:]), tzinfo=tz)
    except ValueError:
        raise CellError(column, value, "not a real date") from None
    if not 1970 <= day.year <= 2100:
        raise CellError(column, value, "the year is out of range (1970-2100)")
    return day.astimezone(dt.UTC)


def yes_no(column: str, value: str) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(column, value, "answer yes or no")


def text(column: str, value: str, *, max_length: int) -> str | None:
    """Cleaned text (NFKC, spaces collapsed), or None for an empty cell."""
    cleaned = " ".join(unicodedata.normalize("NFKC", value).split())
    if len(cleaned) > max_length:
        raise CellError(column, value, f"longer than {max_length} characters")
    return cleaned or None
