"""Staff users, API tokens and the audit report."""

from __future__ import annotations

import datetime as dt
import json

import typer
from rich.console import Console
from rich.table import Table

from guanxi.cli import app
from guanxi.cli import context
from guanxi.db import transaction
from guanxi.errors import Invalid
from guanxi.privacy import audit
from guanxi.privacy.audit import AuditKind
from guanxi.staff import service
from guanxi.staff.roles import SYSTEM

out = Console()
user_app = typer.Typer(help="Staff users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (bearer).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")


@user_app.command("create")
def user_create(email: str = typer.Option(..., help="sign-in e-mail"),
                role: str = typer.Option(..., help="admin, operations, service, content, analyst or tech"),
                name: str = typer.Option("", help="display name"),
                password: str = typer.Option(None, help="at least 10 characters; asked for when left out")) -> None:
    """Create a staff user."""
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    rt = context.runtime()
    with transaction(rt.factory) as session:
        user = service.create_user(session, email=email, password=password, role=role, name=name)
        audit.record(session, AuditKind.user_created, SYSTEM, subject_type="staff", subject_id=user.id)
    out.print(f"created {user.email} ({user.role})")


@user_app.command("list")
def user_list() -> None:
    """List staff users."""
    rt = context.runtime()
    with rt.factory() as session:
        table = Table("email", "name", "role", "active", "last sign-in")
        for u in service.list_users(session):
            table.add_row(u.email, u.name, u.role, "yes" if u.active else "no",
                          u.last_login_at.isoformat() if u.last_login_at else "-")
    out.print(table)


@user_app.command("disable")
def user_disable(email: str) -> None:
    """Disable a staff user and end their sessions."""
    rt = context.runtime()
    with transaction(rt.factory) as session:
        user = service.disable_user(session, email)
        audit.record(session, AuditKind.user_disabled, SYSTEM, subject_type="staff", subject_id=user.id)
    out.print(f"disabled {email}")


@token_app.command("create")
def token_create(name: str = typer.Option(..., help="a name to recognise and revoke it by"),
                 role: str = typer.Option(..., help="the role the token acts with")) -> None:
    """Create an API token. The token is printed alone on the last line, once."""
    rt = context.runtime()
    with transaction(rt.factory) as session:
        row, plain = service.create_token(session, name=name, role=role)
        audit.record(session, AuditKind.token_created, SYSTEM, subject_type="token", subject_id=row.name)
    typer.echo(f"created token {name!r} with role {role}; store it now, it is not shown again:", err=True)
    typer.echo(plain)


@token_app.command("list")
def token_list() -> None:
    """List API token names (never their values)."""
    rt = context.runtime()
    with rt.factory() as session:
        rows = service.list_tokens(session)
    for row in rows:
        state = "revoked" if row.revoked_at else "active"
        typer.echo(f"{row.name}\t{row.role}\t{state}\t{row.created_at:%Y-%m-%d}")


@token_app.command("revoke")
def token_revoke(name: str) -> None:
    """Revoke a token by name; it stops working at once."""
    rt = context.runtime()
    with transaction(rt.factory) as session:
        service.revoke_token(session, name)
        audit.record(session, AuditKind.token_revoked, SYSTEM, subject_type="token", subject_id=name)
    typer.echo(f"revoked {name}")


def _when(value: str, option: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{option}: {value!r} is not a date (YYYY-MM-DD) or ISO timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@audit_app.command("report")
def audit_report(actor: str = typer.Option(..., help="e.g. user:li@shop.cn or token:erp"),
                 from_: str = typer.Option(..., "--from", help="start (YYYY-MM-DD or ISO timestamp, UTC)"),
                 to: str = typer.Option(..., help="end, exclusive"),
                 as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """What an actor read of personal data in a window, and whose (for a breach notice)."""
    since, until = _when(from_, "--from"), _when(to, "--to")
    rt = context.runtime()
    with rt.factory() as session:
        rows = audit.access_report(session, actor, since, until)
    if as_json:
        typer.echo(json.dumps({"actor": actor, "from": since.isoformat(), "to": until.isoformat(),
                               "subjects": len({(r["subject_type"], r["subject_id"]) for r in rows}),
                               "reads": rows}, ensure_ascii=False))
        return
    table = Table("subject", "kind", "reads", "first", "last", title=f"personal data read by {actor}")
    for r in rows:
        table.add_row(f"{r['subject_type']}:{r['subject_id']}", r["kind"], str(r["reads"]), r["first"], r["last"])
    out.print(table)
    out.print(f"{len({(r['subject_type'], r['subject_id']) for r in rows})} people's data read")
