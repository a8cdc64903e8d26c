"""One Settings object, read from GUANXI_* environment variables and `.env`."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from guanxi.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUANXI_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data dir"
    )
    admin_email: str | None = None
    admin_password: str | None = None

    default_timezone: str = "Asia/Shanghai"
    default_region: str = "CN"
    default_currency: str = "CNY"
    default_locale: Literal["zh-CN", "en"] = "zh-CN"

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    session_hours: int = Field(default=12, ge=1)

    audit_retention_days: int = Field(default=400, ge=183)
    pii_alert_per_hour: int = Field(default=300, ge=1)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)

    worker_lease_seconds: int = Field(default=60, ge=1)
    worker_poll_seconds: float = Field(default=5.0, gt=0)
    job_modules: list[str] = Field(default_factory=list)

    redis_url: str | None = None
    shopify_webhook_secret: str | None = None
    stuck_shipment_days: int = Field(default=5, ge=1)
    dedup_auto_merge_threshold: float = Field(default=0.9, gt=0, le=1)  # `guanxi dedup` merges pairs scoring this
    retention_events_days: int = Field(default=730, ge=1)  # customer events older than this are deleted
    rfm_window_days: int = Field(default=365, ge=7)  # orders counted in RFM scores
    clv_horizon_months: int = Field(default=12, ge=1, le=120)  # customer lifetime value looks this far ahead
    clv_discount_rate: float = Field(default=0.10, ge=0, lt=1)  # yearly, for CLV
    clv_margin: float = Field(default=1.0, gt=0, le=1)  # share of spend that is profit (1.0: revenue)
    point_value_minor: float = Field(default=1.0, ge=0)  # what one loyalty point costs the shop, for the liability KPI

    # The site tracking snippet (/t/guanxi.js → POST /t/events): the shop's origins that may send events
    # (JSON list, e.g. ["https://shop.example"]; Guanxi's own origin always may), and the intake's limits.
    tracking_origins: list[str] = Field(default_factory=list)
    tracking_address_per_minute: int = Field(default=120, ge=1)  # requests per client address
    tracking_site_per_minute: int = Field(default=6000, ge=1)  # requests per site key
    tracking_body_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)

    smtp_host: str | None = Field(default=None, description="SMTP server for member sign-in codes")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "guanxi@localhost"

    @field_validator("tracking_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        from guanxi.analytics.site_tracking import origin_of  # here: it imports the customer models

        try:
            return [origin_of(v) for v in value]
        except ValueError as exc:
            raise ValueError(f"GUANXI_TRACKING_ORIGINS: {exc} (write them like https://shop.example)") from None

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite:// and postgresql+psycopg:// are supported")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = make_url(self.database_url)
            if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            return url.render_as_string(hide_password=False)
        return f"sqlite:///{(self.data_dir / 'guanxi.db').resolve()}"

    @property
    def secrets_path(self) -> Path:
        return self.data_dir / "secrets.json"


def load_settings(**overrides) -> Settings:
    """Build settings, turning a bad variable into one ConfigError naming it."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"GUANXI_{field.upper()}: {msg}") from None
    except SettingsError as exc:  # a list or dict setting that is not valid JSON
        match = re.search(r'field "(\w+)"', str(exc))
        field = match.group(1) if match else "?"
        raise ConfigError(f"GUANXI_{field.upper()}: not valid JSON (e.g. [\"a.b\", \"c.d\"])") from None


@functools.cache
def get_settings() -> Settings:
    return load_settings()
