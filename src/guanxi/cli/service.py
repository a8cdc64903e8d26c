"""`guanxi service`: the inbound e-mail route and service-desk chores from the command line."""

from __future__ import annotations

import threading

import typer
from rich.console import Console

from guanxi.cli import app, context

out = Console()
service_app = typer.Typer(help="Service desk: inbound e-mail, escalations.", no_args_is_help=True)
app.add_typer(service_app, name="service")


@service_app.command("smtp")
def smtp(host: str = typer.Option(None, help="address to listen on (default GUANXI_SERVICE_SMTP_HOST)"),
         port: int = typer.Option(None, help="port (default GUANXI_SERVICE_SMTP_PORT)")) -> None:
    """Receive customers' e-mail over SMTP: each message opens a ticket or continues one."""
    from guanxi.service.inbound_mail import start_server
    from guanxi.service.settings import get_service_settings

    cfg = get_service_settings()
    rt = context.runtime(log=True)
    controller = start_server(rt, cfg, host=host, port=port)
    out.print(f"listening for e-mail on {controller.hostname}:{controller.port} (Ctrl-C stops)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
        rt.dispose()


@service_app.command("escalate")
def escalate() -> None:
    """Run the SLA warning and escalation pass once, now."""
    from guanxi.db import transaction, utcnow
    from guanxi.service import escalation
    from guanxi.service.settings import get_service_settings

    rt = context.runtime()
    with transaction(rt.factory) as session:
        result = escalation.run(session, get_service_settings(), utcnow())
    out.print(f"escalated {len(result.escalated)}, warned {len(result.warned)}")
    rt.dispose()
