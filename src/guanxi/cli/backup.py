"""Backup and restore, and the encryption keys kept apart from them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from guanxi import backup as backups
from guanxi.cli import app
from guanxi.cli import context
from guanxi.errors import GuanxiError
from guanxi.privacy.secrets import read_secrets, unwrap, wrap, write_secrets

out = Console()
keys_app = typer.Typer(help="Encryption keys: export and import wrapped with a passphrase.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command("backup")
def backup_cmd(file: Path) -> None:
    """Write a consistent copy of the live database to FILE (keys are NOT in it: `guanxi keys export`)."""
    settings = context.settings()
    backups.backup(settings.resolved_database_url, file)
    out.print(f"backed up to {file}. The encryption keys are not in it: keep a `guanxi keys export` too.")


@app.command("restore")
def restore_cmd(file: Path, yes: bool = typer.Option(False, "--yes", help="do not ask")) -> None:
    """Replace the database's contents with a backup."""
    if not yes and not typer.confirm("This replaces everything in the database. Go on?"):
        raise typer.Exit(1)
    settings = context.settings()
    backups.restore(settings.resolved_database_url, file)
    out.print(f"restored from {file}")


def _passphrase(confirm: bool) -> str:
    import os

    value = os.environ.get("GUANXI_KEYS_PASSPHRASE")
    return value or typer.prompt("passphrase", hide_input=True, confirmation_prompt=confirm)


@keys_app.command("export")
def keys_export(file: Path) -> None:
    """Write the keys to FILE, encrypted with a passphrase (or GUANXI_KEYS_PASSPHRASE)."""
    settings = context.settings()
    sealed = wrap(read_secrets(settings.secrets_path), _passphrase(confirm=True))
    file.write_text(sealed)
    file.chmod(0o600)
    out.print(f"keys exported to {file}. Without them and the passphrase, personal data cannot be read.")


@keys_app.command("import")
def keys_import(file: Path, force: bool = typer.Option(False, "--force", help="replace existing keys")) -> None:
    """Install keys from an export (for a restore on a new machine)."""
    settings = context.settings()
    if not file.exists():
        raise GuanxiError(f"no key file at {file}")
    if settings.secrets_path.exists() and not force:  # before asking for the passphrase
        raise GuanxiError(f"{settings.secrets_path} exists; pass --force to replace it")
    value = unwrap(file.read_text(), _passphrase(confirm=False))
    write_secrets(settings.secrets_path, value)
    out.print(f"keys installed in {settings.secrets_path}")
