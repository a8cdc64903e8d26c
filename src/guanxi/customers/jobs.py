"""Background work of the customers domain, run by the worker."""

from __future__ import annotations

from pathlib import Path

from guanxi.customers.importing import run_import
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets
from guanxi.scheduler.registry import task_handler

IMPORT_TASK = "customers.import"


@task_handler(IMPORT_TASK)
def import_upload(ctx) -> dict:
    """Run an uploaded import (see imports_api), reporting bytes read as the task's progress.

    The upload is deleted once the import has run, whatever its outcome: it holds personal data
    in the clear. If the worker dies first, the file stays for the task's next attempt, and the
    import is safe to run again.
    """
    p = ctx.payload
    path = Path(p["path"])
    cipher = PiiCipher(read_secrets(ctx.settings.secrets_path))
    try:
        summary = run_import(ctx.factory, cipher, ctx.settings, kind=p["kind"], fmt=p["format"], path=path,
                             dry_run=bool(p.get("dry_run")), import_id=str(p["import_id"]), progress=ctx.progress)
    finally:
        path.unlink(missing_ok=True)
    # The first errors hold bad values as written (personal data): the report serves them, masked by role.
    result = {**summary.as_dict(), "file": p.get("filename")}
    result.pop("first_errors")
    return result
