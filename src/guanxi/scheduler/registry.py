"""Where domains declare their scheduled jobs and task handlers."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guanxi.errors import ConfigError

PERIOD_FORMATS = {
    "minutely": "%Y-%m-%dT%H:%M",
    "hourly": "%Y-%m-%dT%H",
    "daily": "%Y-%m-%d",
}

# Each domain with scheduled work lists its jobs module here.
CORE_JOB_MODULES = ["guanxi.privacy.jobs", "guanxi.customers.shipment_jobs", "guanxi.customers.retention", "guanxi.loyalty.jobs",
                    "guanxi.care.jobs",
                    "guanxi.conversations.jobs",
                    "guanxi.customers.jobs", "guanxi.analytics.jobs", "guanxi.service.jobs", "guanxi.social.jobs"]


@dataclass(frozen=True)
class JobSpec:
    name: str
    every: str
    func: Callable[[Any], dict | None]


JOBS: dict[str, JobSpec] = {}
TASK_HANDLERS: dict[str, Callable[[Any], dict | None]] = {}


def job(name: str, every: str = "daily"):
    """Declare a re-runnable job that runs once per period (minutely, hourly or daily, in UTC)."""
    if every not in PERIOD_FORMATS:
        raise ValueError(f"unknown schedule {every!r}")

    def register(func):
        JOBS[name] = JobSpec(name=name, every=every, func=func)
        return func

    return register


def task_handler(kind: str):
    def register(func):
        TASK_HANDLERS[kind] = func
        return func

    return register


def period_of(every: str, now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime(PERIOD_FORMATS[every])


def load_job_modules(extra: list[str] | None = None) -> None:
    for name in [*CORE_JOB_MODULES, *(extra or [])]:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigError(f"GUANXI_JOB_MODULES: cannot import {name!r} ({exc})") from None
