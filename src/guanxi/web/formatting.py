"""Dates, numbers and money as a person in each locale expects them (¥1,234.50, 2026年11月11日)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from guanxi.money import exponent
from guanxi.web.i18n import babel_name


class Formatter:
    """Formats values for one locale and time zone; templates get it as `fmt`."""

    def __init__(self, locale: str, timezone: str):
        self.locale = babel_name(locale)
        self.tz = ZoneInfo(timezone)

    def datetime(self, value: dt.datetime | None, format: str = "medium") -> str:
        if value is None:
            return "—"
        return format_datetime(value, format, tzinfo=self.tz, locale=self.locale)

    def date(self, value: dt.date | dt.datetime | None, format: str = "medium") -> str:
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.tz).date()
        return format_date(value, format, locale=self.locale)

    def number(self, value: int | float | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        return format_decimal(round(value, digits), format=f"#,##0{'.' + '0' * digits if digits else ''}",
                              locale=self.locale)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        return format_percent(value, format=f"#,##0.{'0' * digits}%" if digits else None, locale=self.locale)

    def money(self, minor: int | None, currency: str | None) -> str:
        """Integer minor units → "¥1,234.50" (zh-CN) or "CN¥1,234.50" (en)."""
        if minor is None or not currency or currency == "mixed":
            return "—"
        amount = Decimal(minor).scaleb(-exponent(currency))
        return format_currency(amount, currency, locale=self.locale)

    def change(self, now: float, before: float) -> str | None:
        """"+12.5%" against the earlier figure, or None when there is nothing to compare with."""
        if not before:
            return None
        text = format_percent((now - before) / before, format="#,##0.0%", locale=self.locale)
        return text if text.startswith("-") else "+" + text
