"""Setting up and running: init, migrate, serve, worker, doctor."""

from __future__ import annotations

import os
import secrets
import stat
from urllib.parse import urlsplit, urlunsplit

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text

from guanxi.cli import app
from guanxi.cli import context
from guanxi.db import transaction
from guanxi.errors import GuanxiError
from guanxi.privacy.secrets import ensure_secrets
from guanxi.staff import service as staff_service
from guanxi.staff.models import StaffUser

out = Console()

# Alembic (with mako and pygments) takes a quarter of a second to import: only the commands
# that migrate or check the schema import guanxi.migrate, so `token`, `worker`, ... start faster.

DEFAULT_ADMIN_EMAIL = "admin@guanxi.local"


@app.command()
def init() -> None:
    """Create or migrate the database and secrets, and the first admin. Safe to run twice."""
    from guanxi import migrate as migrations

    settings = context.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _, created = ensure_secrets(settings.secrets_path)
    if created:
        out.print(f"created secrets in {settings.secrets_path} (mode 0600) — back them up with `guanxi keys export`")
    rt = context.runtime()
    migrations.upgrade(settings.resolved_database_url)
    with transaction(rt.factory) as session:
        if session.scalar(select(func.count()).select_from(StaffUser)) == 0:
            email = settings.admin_email or DEFAULT_ADMIN_EMAIL
            password = settings.admin_password or secrets.token_urlsafe(12)
            staff_service.create_user(session, email=email, password=password, role="admin", name="Admin")
            out.print(f"created the first admin: {email}")
            if not settings.admin_password:
                out.print(f"  password (shown once, change it after signing in): [bold]{password}[/bold]")
    out.print("database is at the newest migration")
    rt.dispose()


@app.command()
def migrate() -> None:
    """Apply pending migrations."""
    from guanxi import migrate as migrations

    settings = context.settings()
    migrations.upgrade(settings.resolved_database_url)
    out.print("database is at the newest migration")


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="address to listen on"),
          port: int = typer.Option(8000, help="port to listen on"),
          workers: int = typer.Option(1, min=1, help="worker processes")) -> None:
    """Serve the API, the admin console and the member pages."""
    import uvicorn

    from guanxi import migrate as migrations

    rt = context.runtime()
    rt.check_startup()
    if not migrations.at_head(rt.engine):
        raise GuanxiError("the database is not at the newest migration: run `guanxi init` (or `guanxi migrate`)")
    rt.dispose()
    sock = _listening_socket(host, port)
    out.print(f"Guanxi is serving on http://{host}:{port} (Ctrl-C stops it)")
    uvicorn.run("guanxi.app:serve_app", factory=True, fd=sock.fileno(), workers=workers,
                log_config=None, access_log=False)


def _listening_socket(host: str, port: int):
    """Bind the socket ourselves with TCP_NODELAY, which accepted connections inherit.

    uvicorn's multi-worker mode leaves Nagle's algorithm on, and every keep-alive response then
    waits ~40 ms for a delayed ACK; binding here fixes that for one worker or many.
    """
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise GuanxiError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@app.command()
def worker(once: bool = typer.Option(False, "--once", help="one pass over due jobs and queued tasks, then exit"),
           only: list[str] = typer.Option(None, "--only", help="run only these jobs or task kinds")) -> None:
    """Run scheduled jobs and drain the task queue (several workers may run side by side)."""
    from guanxi.worker import Worker

    rt = context.runtime(log=True)
    w = Worker(rt.factory, rt.settings, only=only)
    if once:
        w.run_once()
    else:
        w.run_forever()


def _mask(name: str, value) -> str:
    if value is None:
        return "-"
    text_value = str(value)
    if any(word in name for word in ("password", "secret", "key")):
        return "****" if text_value else "-"
    if "://" in text_value and "@" in text_value:  # any URL (database, redis) may carry a password
        parts = urlsplit(text_value)
        if parts.password:
            host = parts.netloc.rpartition("@")[2]
            return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    return text_value


@app.command()
def doctor() -> None:
    """Check the database, migrations, keys and configuration (secrets masked)."""
    from guanxi import migrate as migrations

    settings = context.settings()
    rt = context.runtime()
    checks: list[tuple[str, bool, str]] = []
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks.append(("database reachable", True, rt.engine.url.render_as_string(hide_password=True)))
        head = migrations.at_head(rt.engine)
        checks.append(("migrations at head", head, "ok" if head else "run `guanxi migrate`"))
    except Exception as exc:
        checks.append(("database reachable", False, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"))
    path = settings.secrets_path
    if path.exists():
        mode = stat.S_IMODE(os.stat(path).st_mode)
        checks.append(("keys present", True, str(path)))
        checks.append(("keys file private (0600)", mode == 0o600, oct(mode)))
    else:
        checks.append(("keys present", False, f"{path} missing: run `guanxi init` or `guanxi keys import`"))
    table = Table("check", "ok", "detail")
    for name, ok, detail in checks:
        table.add_row(name, "[green]yes[/green]" if ok else "[red]NO[/red]", detail)
    out.print(table)
    conf = Table("setting", "value")
    for name in type(settings).model_fields:
        conf.add_row(f"GUANXI_{name.upper()}", _mask(name, getattr(settings, name)))
    out.print(conf)
    rt.dispose()
    if not all(ok for _, ok, _ in checks):
        raise typer.Exit(1)
