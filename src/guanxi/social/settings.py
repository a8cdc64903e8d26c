"""The social domain's settings, read from GUANXI_SOCIAL_* (connectors, alerts, review points)."""

from __future__ import annotations

import functools

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SocialSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUANXI_SOCIAL_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    # Connectors: {"weibo": {"base_url": "https://…", "token": "…", "query": "shop name"}, …}
    connectors: dict[str, dict[str, str]] = Field(default_factory=dict)
    alert_emails: list[str] = Field(default_factory=list)     # staff told about a crisis
    alert_webhook_url: str | None = None
    alert_webhook_secret: str | None = None
    review_points: int = Field(default=20, ge=0, le=10_000)   # per order reviewed, whatever the rating
    baseline_hours: int = Field(default=168, ge=24, le=24 * 60)
    # Processes that score large batches (sentiment, aspects, keywords); 0 or 1 scores in the calling process.
    scoring_workers: int = Field(default=0, ge=0, le=32)
    public_url: str = "http://localhost:8000"


@functools.lru_cache(maxsize=1)
def get_social_settings() -> SocialSettings:
    return SocialSettings()
