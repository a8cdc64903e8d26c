"""Consistent online backups: SQLite's backup API, or pg_dump / pg_restore on PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from guanxi.errors import GuanxiError


def _pg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise GuanxiError(f"{name} is not installed: install the PostgreSQL client (apt-get install postgresql-client)")
    return path


def backup(url: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if not path.is_file():  # connecting would create an empty database and "back it up"
            raise GuanxiError(f"no database at {path}: nothing to back up (check GUANXI_DATA_DIR / GUANXI_DATABASE_URL)")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # page-by-page copy that sees one consistent snapshot
        finally:
            dest.close()
            source.close()
        return target
    result = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target),
                             _pg_url(url)], capture_output=True, text=True)
    if result.returncode != 0:
        raise GuanxiError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1] if result.stderr else 'no output'}")
    return target


def restore(url: str, source: Path) -> None:
    if not source.exists():
        raise GuanxiError(f"no backup file at {source}")
    if make_url(url).get_backend_name() == "sqlite":
        try:
            check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            check.execute("SELECT version_num FROM alembic_version").fetchall()
            check.close()
        except sqlite3.DatabaseError:
            raise GuanxiError(f"{source} is not a Guanxi SQLite backup") from None
        src = sqlite3.connect(source)
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)  # restoring onto a new machine
        dest = sqlite3.connect(_sqlite_path(url))
        try:
            with dest:
                src.backup(dest)
        finally:
            dest.close()
            src.close()
        return
    result = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                             "--dbname", _pg_url(url), str(source)], capture_output=True, text=True)
    if result.returncode != 0:
        raise GuanxiError(f"pg_restore failed: {result.stderr.strip().splitlines()[-1] if result.stderr else 'no output'}")
