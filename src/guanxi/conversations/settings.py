"""The inbox's settings, read from GUANXI_CONVERSATIONS_* (opening hours, platforms, limits)."""

from __future__ import annotations

import datetime as dt
import functools

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from guanxi.service import sla
from guanxi.service.settings import _schedule


class ConversationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUANXI_CONVERSATIONS_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    opens: dt.time = dt.time(9)
    closes: dt.time = dt.time(21)
    timezone: str = "Asia/Shanghai"
    calendar: str = Field(default="none", description="CN: China's holidays and make-up days; none: Mon–Fri")
    weekends_open: bool = True                 # shops usually answer chats on weekends
    away_message_zh: str = "您好，我们的客服时间为每天 9:00–21:00，我们会在上班后第一时间回复您。"
    away_message_en: str = "Hello! Our team answers from 9:00 to 21:00 every day; we will reply as soon as we are back."
    presales_days: int = Field(default=7, ge=1)          # conversion window of a pre-sales conversation
    default_max_chats: int = Field(default=5, ge=1)
    # Platforms: where replies go, and the secrets their webhooks are signed with.
    wechat_token: str | None = None                      # the token set in the official account's server config
    wechat_api_url: str | None = None                    # https://api.weixin.qq.com
    wechat_access_token: str | None = None
    weibo_secret: str | None = None
    weibo_api_url: str | None = None
    weibo_access_token: str | None = None
    douyin_secret: str | None = None
    douyin_api_url: str | None = None
    douyin_access_token: str | None = None
    callcentre_secret: str | None = None
    # Live chat: per visitor and per network address, per minute.
    chat_visitor_per_minute: int = Field(default=20, ge=1)
    chat_address_per_minute: int = Field(default=120, ge=1)
    chat_max_chars: int = Field(default=2000, ge=10)
    poll_seconds: float = Field(default=20.0, ge=0.0, le=60.0)
    # Files in chats: size limit and the types allowed, as sniffed from the bytes (not the name).
    attachment_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    attachment_types: list[str] = Field(default_factory=lambda: [
        "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"])
    # Suggested answers ranked by a sentence model shipped in a package (embeddings.py); off: keywords only.
    embeddings: bool = True

    def schedule(self, around: dt.date) -> sla.Schedule:
        base = _schedule(self.opens, self.closes, self.timezone, self.calendar, (), (), around.year)
        if self.weekends_open:
            return sla.Schedule(calendar=sla.WorkingCalendar(holidays=base.calendar.holidays, weekend=frozenset()),
                                opens=base.opens, closes=base.closes, tz=base.tz)
        return base

    def away_message(self, locale: str) -> str:
        return self.away_message_zh if locale.startswith("zh") else self.away_message_en


@functools.cache
def get_conversation_settings() -> ConversationSettings:
    return ConversationSettings()
