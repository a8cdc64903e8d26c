"""Engine, sessions and the declarative base shared by every domain's models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from itertools import repeat
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys that are BIGINT on PostgreSQL and INTEGER (rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware values only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy drive transactions (pysqlite's own BEGIN handling is off).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin_immediate(conn) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on the busy
    # timeout instead of failing with "database is locked" at upgrade time.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def bulk_insert(session: Session, table, columns: Mapping[str, list], shared: Mapping[str, Any] | None = None) -> int:
    """Insert many rows through the driver (sqlite3 ``executemany``, psycopg ``COPY``), in the session's
    transaction, without SQLAlchemy's per-row parameter processing.

    ``columns`` maps column names to lists of plain values (int, float, str, None), one per row, already
    in storage form; ``shared`` maps column names to one value for every row, which goes through the
    column's type (a ``UTCDateTime`` or JSON value becomes what the backend stores).
    Returns the number of rows written.
    """
    session.flush()
    conn = session.connection()
    dialect = conn.dialect
    sizes = {len(v) for v in columns.values()}
    if len(sizes) > 1:
        raise ValueError(f"columns of different lengths: {sorted(sizes)}")
    n = sizes.pop() if sizes else 0
    if n == 0:
        return 0
    names = [*columns, *(shared or {})]
    values = list(columns.values())
    for name, value in (shared or {}).items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        values.append(repeat(process(value) if process else value, n))
    rows = zip(*values)
    raw = conn.connection.driver_connection
    quoted = ", ".join(dialect.identifier_preparer.quote(c) for c in names)
    if dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cur = raw.cursor()
        try:
            cur.executemany(f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(names))})", rows)
        finally:
            cur.close()
    return n


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def commit_retrying_conflicts(session: Session, work, attempts: int = 3):
    """Run `work()` and commit; on a unique-key race, roll back and run it again.

    Two deliveries of the same new customer or order can race; the loser's second try finds the
    winner's rows (every ingest path is idempotent), so retrying is safe.
    """
    from sqlalchemy.exc import IntegrityError

    for attempt in range(attempts):
        try:
            result = work()
            session.commit()
            return result
        except IntegrityError:
            session.rollback()
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
