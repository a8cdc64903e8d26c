"""Settings and runtime for CLI commands."""

from __future__ import annotations

from guanxi.config import Settings, load_settings
from guanxi.logs import setup_logging
from guanxi.runtime import Runtime, build_runtime


def settings() -> Settings:
    return load_settings()


def runtime(log: bool = False) -> Runtime:
    s = settings()
    if log:
        setup_logging(s.log_level, s.log_format)
    return build_runtime(s)
