"""The service desk's settings, read from GUANXI_SERVICE_* (opening hours, calendar, limits)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from guanxi.service import sla


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUANXI_SERVICE_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    opens: dt.time = dt.time(9)
    closes: dt.time = dt.time(18)
    timezone: str = "Asia/Shanghai"
    calendar: str = Field(default="CN", description="CN: China's holidays and make-up days; none: Mon–Fri")
    extra_holidays: list[dt.date] = Field(default_factory=list)
    extra_workdays: list[dt.date] = Field(default_factory=list)
    reopen_days: int = Field(default=7, ge=0)            # a customer reply within this reopens a closed ticket
    close_after_days: int = Field(default=3, ge=1)        # resolved → closed when the customer stays quiet
    follow_up_days: int = Field(default=3, ge=0)
    progress_hours: int = Field(default=24, ge=1)         # an open ticket's customer hears from us this often
    survey_days: int = Field(default=14, ge=1)            # a survey link works this long
    nps_every_days: int = Field(default=90, ge=1, le=3660)  # the scheduled NPS reaches a customer at most this often
    attachment_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    attachment_types: list[str] = Field(default_factory=lambda: [
        "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain", "video/mp4"])
    smtp_host: str = "127.0.0.1"                         # the inbound route `guanxi service smtp` listens on
    smtp_port: int = Field(default=2525, ge=0, le=65535)
    # inbox: mail that continues no ticket goes to the customer's e-mail thread in the inbox; tickets: it opens a ticket.
    inbound_mail_to: Literal["inbox", "tickets"] = "inbox"
    mail_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    public_url: str = "http://localhost:8000"            # survey links in e-mails

    def schedule(self, around: dt.date) -> sla.Schedule:
        return _schedule(self.opens, self.closes, self.timezone, self.calendar, tuple(self.extra_holidays),
                         tuple(self.extra_workdays), around.year)


@functools.lru_cache(maxsize=16)
def _schedule(opens, closes, tz, calendar, holidays, workdays, year) -> sla.Schedule:
    # Three years around now: a ticket's clock never needs more, and the package only knows
    # make-up days for years already announced.
    years = range(year - 1, year + 2)
    cal = sla.china_calendar(years) if calendar.upper() == "CN" else sla.WorkingCalendar()
    cal = cal.with_days(holidays=holidays, workdays=workdays)
    return sla.Schedule(calendar=cal, opens=opens, closes=closes, tz=tz)


@functools.cache
def get_service_settings() -> ServiceSettings:
    return ServiceSettings()
