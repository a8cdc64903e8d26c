"""Dates a customer feels: birthdays in their own calendar, China's holidays and the shop's festivals."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

import holidays

_BIRTHDAY = re.compile(r"^(?:(\d{4})|-)-(\d{2})-(\d{2})$")

# Public holidays and festivals from the `holidays` package (its English names), first day only:
# observed and substituted days off are not the festival itself.
CHINA_HOLIDAYS = {
    "new_year": "New Year's Day",
    "spring_festival": "Chinese New Year (Spring Festival)",
    "tomb_sweeping": "Tomb-Sweeping Day",
    "labour_day": "Labor Day",
    "dragon_boat": "Dragon Boat Festival",
    "mid_autumn": "Mid-Autumn Festival",
    "national_day": "National Day",
}
# Shopping festivals on a fixed month-day.
SHOP_FESTIVALS = {"520": (5, 20), "618": (6, 18), "double_11": (11, 11), "double_12": (12, 12)}
OCCASIONS = (*CHINA_HOLIDAYS, *SHOP_FESTIVALS, "member_day")


def parse_birthday(text: str | None) -> tuple[int | None, int, int] | None:
    """"1990-05-17" -> (1990, 5, 17); "--05-17" -> (None, 5, 17); anything else -> None."""
    match = _BIRTHDAY.match(text or "")
    if not match:
        return None
    year = int(match[1]) if match[1] else None
    month, day = int(match[2]), int(match[3])
    try:
        dt.date(year or 2000, month, day)  # 2000 is a leap year: --02-29 is a real birthday
    except ValueError:
        return None
    return year, month, day


def birthday_in_year(text: str, year: int) -> dt.date | None:
    """The day the birthday is celebrated in `year`: 29 February falls on 28 February in other years."""
    parsed = parse_birthday(text)
    if parsed is None:
        return None
    _, month, day = parsed
    if (month, day) == (2, 29) and not calendar.isleap(year):
        day = 28
    return dt.date(year, month, day)


def birthday_due(text: str | None, local_today: dt.date, days_before: int = 0) -> bool:
    """True on the customer's local day that is `days_before` days before their birthday."""
    if not text or parse_birthday(text) is None:
        return False
    target = local_today + dt.timedelta(days=days_before)
    return birthday_in_year(text, target.year) == target


def md_keys(day: dt.date) -> list[str]:
    """The stored "MM-DD" values whose birthday is celebrated on `day` (for the blind index)."""
    keys = [f"{day.month:02d}-{day.day:02d}"]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        keys.append("02-29")
    return keys


@functools.lru_cache(maxsize=64)
def _china(year: int) -> dict[str, dt.date]:
    found: dict[str, dt.date] = {}
    names = {v: k for k, v in CHINA_HOLIDAYS.items()}
    for day, name in sorted(holidays.China(years=year, language="en_US").items()):
        for part in name.split("; "):
            key = names.get(part)
            if key and key not in found:
                found[key] = day
    return found


def _month_day(text: str) -> tuple[int, int]:
    match = re.match(r"^(\d{2})-(\d{2})$", text or "")
    if not match:
        raise ValueError(f"a custom occasion is MM-DD, not {text!r}")
    month, day = int(match[1]), int(match[2])
    dt.date(2000, month, day)  # raises ValueError for 13-40
    return month, day


def _clamped(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def occasion_dates(year: int, *, member_day: int | None = None,
                   custom: dict[str, str] | None = None) -> dict[str, list[dt.date]]:
    """Every occasion's dates in `year`; member_day is a day of each month (31 = the month's last day)."""
    out: dict[str, list[dt.date]] = {name: [day] for name, day in _china(year).items()}
    for name, (month, day) in SHOP_FESTIVALS.items():
        out[name] = [dt.date(year, month, day)]
    out["member_day"] = [_clamped(year, m, member_day) for m in range(1, 13)] if member_day else []
    for name, md in (custom or {}).items():
        month, day = _month_day(md)
        out[name] = [_clamped(year, month, day)]
    return out


def occasions_on(day: dt.date, *, member_day: int | None = None,
                 custom: dict[str, str] | None = None) -> list[str]:
    """Names of the occasions that fall on `day`, in OCCASIONS order, then custom ones."""
    dates = occasion_dates(day.year, member_day=member_day, custom=custom)
    return [name for name, days in dates.items() if day in days]
