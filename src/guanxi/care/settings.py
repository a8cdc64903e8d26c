"""The care domain's own settings (GUANXI_CARE_*): limits, quiet hours and the channels' endpoints."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from guanxi.care.caps import Cap, parse_caps
from guanxi.care.quiet_hours import QuietHours
from guanxi.care.rate_limits import RateLimit, parse_limits


class CareSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUANXI_CARE_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    shop_name: str = "Guanxi"
    public_url: str = Field(default="http://localhost:8000", description="base of unsubscribe links")
    quiet_hours: str = "21:00-09:00"
    caps: str = Field(default="3/week", description="marketing caps over all campaigns, e.g. 3/week, sms:1/day")
    member_day: int | None = Field(default=None, ge=1, le=31, description="the member day of each month")
    occasions: dict[str, str] = Field(default_factory=dict, description='custom occasions {"name": "MM-DD"}')

    max_attempts: int = Field(default=6, ge=1)
    backoff_seconds: int = Field(default=60, ge=1)
    backoff_max_seconds: int = Field(default=6 * 3600, ge=1)
    lease_seconds: int = Field(default=120, ge=5)
    batch_size: int = Field(default=200, ge=1)
    expire_hours: int = Field(default=72, ge=1, description="a marketing message not sent by then is dropped")

    sms_url: str | None = None            # POST {sms_url}/messages
    sms_key: str | None = None
    wechat_url: str = "https://api.weixin.qq.com"
    wechat_access_token: str | None = None
    webhook_url: str | None = None        # the shop's own endpoint for channel "webhook"
    webhook_secret: str | None = None     # signs outgoing webhooks and checks delivery receipts
    push_url: str | None = None           # the shop's push gateway: POST {push_url}/push
    push_key: str | None = None
    http_timeout: float = Field(default=10.0, gt=0)
    track_links: bool = Field(default=True, description="links in messages go through signed /c/ redirects")
    open_pixel: bool = Field(default=False, description="HTML e-mails carry a 1x1 open-tracking image")

    rate_limits: dict = Field(default_factory=dict, description='per channel {"sms": {"per_second": 20, "per_day": 10000}}')
    require_approval: bool = Field(default=False, description="a second staff member approves a campaign before it runs")

    @field_validator("rate_limits")
    @classmethod
    def _limits_ok(cls, value: dict) -> dict:
        parse_limits(value)  # a typo in the setting fails at start-up, not silently at send time
        return value

    def quiet(self) -> QuietHours:
        return QuietHours.parse(self.quiet_hours)

    def marketing_caps(self) -> list[Cap]:
        return parse_caps(self.caps)

    def channel_limits(self) -> dict[str, RateLimit]:
        return parse_limits(self.rate_limits)


def load_care_settings(**overrides) -> CareSettings:
    return CareSettings(**overrides)
