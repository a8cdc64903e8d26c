"""Imports every domain's models so that Base.metadata knows all tables (migrations, tests)."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from guanxi.db import Base

DOMAIN_MODELS = [
    "guanxi.staff.models",
    "guanxi.privacy.models",
    "guanxi.scheduler.models",
    "guanxi.customers.models",
    "guanxi.web.models",
    "guanxi.analytics.models",
    "guanxi.loyalty.models",
    "guanxi.loyalty.partner_models",
    "guanxi.service.models",
    "guanxi.care.models",
    "guanxi.conversations.models",
    "guanxi.social.models",
    "guanxi.social.community_models",
]


def metadata() -> MetaData:
    for name in DOMAIN_MODELS:
        importlib.import_module(name)
    return Base.metadata
