"""Privacy requests (export, erasure) and data key rotation from the command line."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from guanxi.cli import app, context
from guanxi.cli.backup import keys_app
from guanxi.customers import privacy_hooks as _customer_privacy  # noqa: F401  (registers exporter and eraser)
from guanxi.db import transaction
from guanxi.privacy import requests, rotation
from guanxi.staff.roles import Actor, Role

out = Console(stderr=True)
privacy_app = typer.Typer(help="A person's privacy requests: export and erasure.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


def _actor() -> Actor:
    """Whoever runs the command on the server, as the audit log's actor."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(kind="cli", id=None, name=name, role=Role.admin)


@privacy_app.command("export")
def export_cmd(customer_id: int = typer.Argument(..., metavar="ID"),
               out_file: Path = typer.Option(None, "--out", help="write to FILE (mode 0600) instead of stdout")) -> None:
    """Everything held about a person, from every domain, as one JSON document (audited)."""
    rt = context.runtime()
    with transaction(rt.factory) as session:
        document = requests.export(session, rt.cipher, customer_id, _actor())
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if out_file is None:
        typer.echo(text)
    else:
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        out.print(f"exported customer {document['customer_id']} to {out_file}")
    rt.dispose()


@privacy_app.command("erase")
def erase_cmd(customer_id: int = typer.Argument(..., metavar="ID"), yes: bool = typer.Option(False, "--yes", help="do not ask")) -> None:
    """Erase a person's personal data in every domain; orders stay, linked to a pseudonymous stub."""
    if not yes and not typer.confirm(f"Erase customer {customer_id}'s personal data for good?"):
        raise typer.Exit(1)
    rt = context.runtime()
    with transaction(rt.factory) as session:
        result = requests.erase(session, rt.cipher, customer_id, _actor())
    rt.dispose()
    if result["already_erased"]:
        out.print(f"customer {result['id']} was already erased on {result['erased_at']}")
    else:
        out.print(f"erased customer {result['id']}")
    typer.echo(json.dumps(result, ensure_ascii=False))


@keys_app.command("rotate")
def keys_rotate(batch_size: int = typer.Option(500, min=1, max=10_000, help="rows per committed batch")) -> None:
    """Add a new data key and re-encrypt every personal value with it (resumable: run again after a stop)."""
    rt = context.runtime()
    with Progress(TextColumn("re-encrypting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=out) as bar:
        task = bar.add_task("rotate", total=None)
        report = rotation.rotate_keys(rt.factory, rt.settings.secrets_path, _actor(), batch_size=batch_size,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total))
    rt.dispose()
    verb = "finished the interrupted rotation to" if report.resumed else "rotated to"
    out.print(f"{verb} key {report.key_id}: {report.values} values in {report.rows} rows re-encrypted")
    out.print("restart running servers and workers so they load the new key, and export the keys again "
              "(`guanxi keys export`): older key exports do not hold it")
