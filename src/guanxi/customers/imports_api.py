"""File imports over HTTP: upload a CSV, follow the import the worker runs, fetch its error report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response, StreamingResponse

from guanxi.customers import normalise
from guanxi.customers.importing import check_supported
from guanxi.customers.importing.reader import SAMPLE_BYTES, NotText, detect_encoding
from guanxi.customers.importing.run import personal_columns
from guanxi.customers.jobs import IMPORT_TASK
from guanxi.deps import ImportRunner, RuntimeDep, SessionDep
from guanxi.errors import Conflict, GuanxiError, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.scheduler import leases
from guanxi.scheduler.models import Task
from guanxi.schemas import IdPath, PublicModel
from guanxi.staff.roles import Perm

router = APIRouter(prefix="/api/v1", tags=["imports"])

EXTENSIONS = (".csv", ".txt", ".tsv")
COPY_BLOCK = 1024 * 1024
INTERNAL = {"errors_path", "first_errors"}  # server paths and raw values stay out of the reply


class UnsupportedFile(GuanxiError):
    status = 415
    title = "Unsupported file"


class CsvResponse(Response):
    media_type = "text/csv"


class ImportProgress(PublicModel):
    done: int
    total: int | None
    unit: Literal["bytes"] = "bytes"


class ImportPublic(PublicModel):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    kind: str
    format: str
    dry_run: bool
    filename: str | None
    progress: ImportProgress
    summary: dict[str, Any] | None
    error: str | None
    errors_url: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def _public(task: Task) -> ImportPublic:
    p = task.payload or {}
    result = task.result if task.status == "done" else None
    has_errors = bool(result and result.get("errors_path"))
    summary = {k: v for k, v in result.items() if k not in INTERNAL} if result else None
    return ImportPublic(
        id=task.id, status=task.status, kind=p.get("kind", ""), format=p.get("format", ""),
        dry_run=bool(p.get("dry_run")), filename=p.get("filename"),
        progress=ImportProgress(done=task.progress_done or 0, total=task.progress_total),
        summary=summary, error=task.error,
        errors_url=f"/api/v1/imports/{task.id}/errors" if has_errors else None,
        created_at=task.created_at, started_at=task.started_at, finished_at=task.finished_at,
    )


def _import_task(session, import_id: int) -> Task:
    task = session.get(Task, import_id)
    if task is None or task.kind != IMPORT_TASK:
        raise NotFound(f"no import {import_id}")
    return task


@router.post("/imports", response_model=ImportPublic, status_code=202,
             responses={415: {"description": "Not a CSV file", "content": {"application/problem+json": {}}}})
def create_import(
    actor: ImportRunner, session: SessionDep, runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, UTF-8 with BOM or GBK/GB18030), or a CDNOW log")],
    kind: Annotated[Literal["customers", "orders"], Form()],
    format: Annotated[Literal["guanxi", "shopify", "cdnow"], Form()],
    dry_run: Annotated[bool, Form()] = False,
) -> ImportPublic:
    """Upload a file to import; the worker runs it. Follow it at GET /api/v1/imports/{id}."""
    try:
        check_supported(kind, format)
    except Invalid as exc:
        raise Invalid(exc.detail, errors=[{"loc": ["body", "format"], "msg": exc.detail}]) from None
    name = Path(file.filename or "upload.csv").name[:200]
    if not name.lower().endswith(EXTENSIONS):
        raise UnsupportedFile(f"{name!r} is not a CSV file: upload .csv (or a .txt CDNOW log); an Excel "
                              "workbook must be saved as CSV first")
    head = file.file.read(SAMPLE_BYTES)
    if not head:
        raise Invalid("the file is empty", errors=[{"loc": ["body", "file"], "msg": "empty file"}])
    try:
        detect_encoding(head)
    except NotText as exc:
        raise UnsupportedFile(exc.detail) from None
    file.file.seek(0)

    folder = runtime.settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    task = leases.enqueue(session, IMPORT_TASK, {}, created_by=actor.ref)
    path = folder / f"{task.id}.upload"
    try:
        size = _save(file, path)
        task.progress_total = size
        task.payload = {"import_id": str(task.id), "path": str(path), "kind": kind, "format": format,
                        "dry_run": dry_run, "filename": name}
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    return _public(task)


def _save(upload: UploadFile, path: Path) -> int:
    """Copy the upload to a file only its owner can read (it holds personal data in the clear)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    size = 0
    with open(fd, "wb") as out:
        while block := upload.file.read(COPY_BLOCK):
            out.write(block)
            size += len(block)
    return size


@router.get("/imports/{import_id}", response_model=ImportPublic)
def get_import(import_id: IdPath, actor: ImportRunner, session: SessionDep) -> ImportPublic:
    """An import's status, progress (bytes read of the file) and, once done, its summary."""
    return _public(_import_task(session, import_id))


@router.get("/imports/{import_id}/errors", response_class=CsvResponse,
            responses={200: {"description": "line, column, value, reason per bad row",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
def get_import_errors(import_id: IdPath, actor: ImportRunner, session: SessionDep, runtime: RuntimeDep):
    """The error report as CSV. Personal data in it is masked for roles that may not see it."""
    task = _import_task(session, import_id)
    if task.status in ("queued", "running"):
        raise Conflict(f"import {import_id} is {task.status}; the report is ready when it is done")
    path = (task.result or {}).get("errors_path")
    filename = f"import-{import_id}-errors.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if not path or not Path(path).exists():
        return CsvResponse("\ufeffline,column,value,reason\r\n", headers=headers)
    reveal = actor.can(Perm.customers_read_pii)
    if reveal:
        audit.record_pii_read(session, actor, "import", import_id, kind=audit.AuditKind.pii_exported,
                              threshold_per_hour=runtime.settings.pii_alert_per_hour, report="errors")
        session.commit()
    masked = set() if reveal else personal_columns((task.payload or {}).get("format", ""))
    return StreamingResponse(_rows(Path(path), masked), media_type="text/csv", headers=headers)


def _rows(path: Path, masked: set[str] | frozenset[str]) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    with open(path, encoding="utf-8-sig", newline="") as f:
        for record in csv.reader(f):
            if len(record) == 4 and record[1] in masked:
                record[2] = _mask(record[1], record[2])
            writer.writerow(record)
            if out.tell() > 64 * 1024:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def _mask(column: str, value: str) -> str:
    lowered = column.lower()
    kind = "email" if "mail" in lowered else "phone" if "phone" in lowered else "name" if "name" in lowered else ""
    return normalise.mask(kind, value) or ""
