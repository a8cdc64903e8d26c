"""The same migrations run up, down and up again on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from guanxi import migrate
from guanxi.db import make_engine
from guanxi.tables import metadata


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _audit_guards(url: str) -> set[str]:
    """Names of the triggers that keep the audit log append-only."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            else:
                rows = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
            return {r[0] for r in rows}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database_url):
    url = empty_database_url
    model_tables = set(metadata().tables)
    assert "audit_log" in model_tables and "job_runs" in model_tables

    migrate.upgrade(url)
    assert _tables(url) == model_tables | {"alembic_version"}
    assert _audit_guards(url), "the audit log guard triggers are missing after upgrade"
    engine = make_engine(url)
    assert migrate.at_head(engine)
    engine.dispose()

    migrate.downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}, "downgrade to base left tables behind"
    assert not _audit_guards(url)

    migrate.upgrade(url)
    assert _tables(url) == model_tables | {"alembic_version"}
    assert _audit_guards(url)


def test_models_and_migrations_agree(empty_database_url):
    migrate.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            diff = compare_metadata(context, metadata())
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"
