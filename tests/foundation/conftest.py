"""Foundation fixtures: throwaway empty databases and the `guanxi` command in a subprocess."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from .subprocesses import GUANXI, subprocess_env


@pytest.fixture
def empty_database_url(backend, tmp_path, request):
    """A database of its own with no tables at all (not the shared, migrated test database)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = make_url(request.getfixturevalue("pg_database_url"))  # skips (or fails in CI) like the others
    name = f"guanxi_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def cli(settings, tmp_path):
    """cli(*args, env={...}) -> CompletedProcess of `guanxi ARGS` against the test database."""

    def run(*args: str, env: dict[str, str | None] | None = None, timeout: float = 60,
            input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(GUANXI), *args], cwd=tmp_path, env=subprocess_env(**(env or {})),
                              capture_output=True, text=True, timeout=timeout, input=input)

    return run


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2 with its production cost takes ~0.1 s a hash; these tests check rules, not the cost."""
    from argon2 import PasswordHasher

    from guanxi.staff import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def probe_routes(app):
    """Test-only routes: a strict body with an int field, and one that fails unexpectedly."""
    from .probes import router

    app.include_router(router)
    return app
