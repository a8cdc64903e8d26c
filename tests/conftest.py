"""Test databases: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL comes from GUANXI_TEST_POSTGRES_URL (default: the local server); a throwaway
database is created for the run and dropped after it. Unreachable PostgreSQL skips those
tests with the reason locally, and fails them when CI=true.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from guanxi import migrate
from guanxi.config import load_settings
from guanxi.db import transaction
from guanxi.privacy.secrets import ensure_secrets
from guanxi.runtime import build_runtime
from guanxi.staff import service as staff_service
from guanxi.tables import metadata

PG_URL = os.environ.get("GUANXI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"

# Property tests check rules, not speed: on a shared or busy machine slow data generation and slow examples
# must not fail them (the examples and their number stay as each test sets them).
hypothesis_settings.register_profile("guanxi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("guanxi")


def _pg_unavailable_reason() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "not reachable"
        return f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} is not reachable: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def pg_database_url():
    reason = _pg_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    name = f"guanxi_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "guanxi.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata().sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path) -> str:
    if backend == "postgresql":
        url = request.getfixturevalue("pg_database_url")
        _truncate_all(url)
        return url
    path = tmp_path / "guanxi.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url, tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("GUANXI_") and key != "GUANXI_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    monkeypatch.setenv("GUANXI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GUANXI_DATABASE_URL", database_url)
    monkeypatch.setenv("GUANXI_ENV", "test")
    ensure_secrets(data_dir / "secrets.json")
    return load_settings(_env_file=None)


@pytest.fixture
def runtime(settings):
    rt = build_runtime(settings)
    yield rt
    rt.dispose()


@pytest.fixture
def app(runtime):
    from guanxi.app import create_app

    return create_app(runtime=runtime)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def make_token(runtime):
    """make_token(role) -> a bearer token with that role."""

    def make(role: str = "admin", name: str | None = None) -> str:
        with transaction(runtime.factory) as session:
            _, plain = staff_service.create_token(session, name=name or f"{role}-{uuid.uuid4().hex[:6]}", role=role)
        return plain

    return make


@pytest.fixture
def auth(make_token):
    """auth(role) -> headers with a fresh token of that role."""

    def headers(role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(role)}"}

    return headers


@pytest.fixture
def mailbox(monkeypatch, runtime):
    """A real SMTP server on loopback (aiosmtpd) that the app's settings point at."""
    from tests.web.mailbox import Mailbox

    box = Mailbox().start()
    monkeypatch.setattr(runtime.settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(runtime.settings, "smtp_port", box.port)
    yield box
    box.stop()
