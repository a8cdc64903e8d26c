"""The `guanxi` command: one Typer app; each group lives in its own module."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from guanxi.errors import ConfigError, GuanxiError

app = typer.Typer(help="Guanxi: customers, loyalty and care for online shops.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
err = Console(stderr=True, soft_wrap=True)


def _register() -> None:
    from guanxi.cli import admin, analytics, backup, demo, imports, privacy, staff, stats  # noqa: F401  (commands register on import)
    from guanxi.cli import loyalty  # noqa: F401
    from guanxi.cli import service  # noqa: F401
    from guanxi.cli import care  # noqa: F401
    from guanxi.cli import social  # noqa: F401
    from guanxi.cli import import_events  # noqa: F401  (guanxi import events)


def main() -> None:
    _register()
    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {escape(exc.detail)}", highlight=False, markup=True)
        sys.exit(2)
    except GuanxiError as exc:
        err.print(f"[red]error:[/red] {escape(exc.detail)}", highlight=False, markup=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
