"""Everything a running Guanxi needs, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from guanxi.config import Settings
from guanxi.db import make_engine, make_sessionmaker
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import Secrets, check_production_secrets, read_secrets


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]

    @cached_property
    def secrets(self) -> Secrets:
        return read_secrets(self.settings.secrets_path)

    @cached_property
    def cipher(self) -> PiiCipher:
        return PiiCipher(self.secrets, reload=lambda: read_secrets(self.settings.secrets_path))

    def check_startup(self) -> None:
        """Refuse to serve in production without real secrets."""
        if self.settings.env == "production":
            check_production_secrets(self.secrets)

    def dispose(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings, **engine_kwargs) -> Runtime:
    engine = make_engine(settings.resolved_database_url, **engine_kwargs)
    return Runtime(settings=settings, engine=engine, factory=make_sessionmaker(engine))
