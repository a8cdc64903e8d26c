"""One import, start to end: stream the file, parse rows, store them batch by batch, report.

Each batch is its own transaction, so memory stays flat and a failure loses at most the batch
in hand; running the same file again picks up where it stopped and changes nothing it already
did. A batch the database refuses is split until the refusing rows are found; they go to the
error report and the rest are kept. A dry run parses and validates everything and looks up what
is already stored, writing nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from guanxi.config import Settings
from guanxi.customers.importing import cdnow, native, shopify, store
from guanxi.customers.importing.parsed import Item, ParseContext, Rejected, RowError
from guanxi.customers.importing.reader import TextFile
from guanxi.customers.importing.report import ErrorReport, Summary
from guanxi.db import transaction, utcnow
from guanxi.errors import Invalid
from guanxi.privacy.crypto import PiiCipher

log = logging.getLogger(__name__)

KINDS = ("customers", "orders")
FORMATS = {"guanxi": native, "shopify": shopify, "cdnow": cdnow}
SUPPORTED = {("customers", "guanxi"), ("customers", "shopify"), ("orders", "guanxi"), ("orders", "shopify"),
             ("orders", "cdnow")}
BATCH = 2000

Progress = Callable[[int, int], None]  # (bytes read, file size)


def check_supported(kind: str, fmt: str) -> None:
    if (kind, fmt) not in SUPPORTED:
        choices = ", ".join(f for k, f in sorted(SUPPORTED) if k == kind)
        raise Invalid(f"{kind} cannot be imported from the {fmt!r} format; use one of: {choices}",
                      errors=[{"loc": ["format"], "msg": f"use one of: {choices}"}])


def personal_columns(fmt: str) -> frozenset[str]:
    """Columns whose values in the error report are personal data (masked for roles without access)."""
    return FORMATS[fmt].PERSONAL_COLUMNS if fmt in FORMATS else frozenset()


def new_import_id() -> str:
    return f"cli-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def errors_path(settings: Settings, import_id: str) -> Path:
    return settings.data_dir / "imports" / f"{import_id}-errors.csv"


def run_import(factory: sessionmaker[Session], cipher: PiiCipher, settings: Settings, *, kind: str, fmt: str,
               path: Path | str, dry_run: bool = False, import_id: str | None = None,
               progress: Progress | None = None, batch_size: int = BATCH) -> Summary:
    check_supported(kind, fmt)
    started = time.perf_counter()
    import_id = import_id or new_import_id()
    ctx = ParseContext(timezone=ZoneInfo(settings.default_timezone), region=settings.default_region,
                       currency=settings.default_currency, locale=settings.default_locale)
    summary = Summary(import_id=import_id, kind=kind, format=fmt, file=str(path), dry_run=dry_run)
    writer = _Writer(factory, cipher, kind, dry_run,
                     defaults={"locale": settings.default_locale, "timezone": settings.default_timezone})
    with TextFile(path) as source, ErrorReport(errors_path(settings, import_id)) as report:
        summary.encoding, summary.bytes = source.encoding, source.size
        batch: list = []
        for item in _items(source, kind, fmt, ctx):
            summary.rows += item.rows
            if isinstance(item, Rejected):
                report.add(item.errors)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                report.add(writer.write(batch))
                batch = []
                if progress:
                    progress(source.bytes_read(), source.size)
        report.add(writer.write(batch))
        if progress:
            progress(source.size, source.size)
    summary.counts = writer.counts
    summary.bad_rows, summary.first_errors = report.bad_rows, report.first
    summary.errors_path = str(report.path) if report.written else None
    summary.seconds = time.perf_counter() - started
    log.info("import %s: %s rows, %s bad", import_id, summary.rows, summary.bad_rows,
             extra={"import_id": import_id, "kind": kind, "format": fmt, "dry_run": dry_run})
    return summary


def _items(source: TextFile, kind: str, fmt: str, ctx: ParseContext) -> Iterator[Item]:
    if fmt == "cdnow":
        return cdnow.orders(source.lines(), ctx)
    header, rows = source.csv_rows()
    parse = getattr(FORMATS[fmt], kind)
    return parse(header, rows, ctx)


class _Writer:
    """Stores batches (or previews them in a dry run) and adds up what happened."""

    def __init__(self, factory: sessionmaker[Session], cipher: PiiCipher, kind: str, dry_run: bool, defaults: dict):
        self.factory, self.cipher, self.kind, self.dry_run, self.defaults = factory, cipher, kind, dry_run, defaults
        self.counts = store.Counts()
        self._batches = 0

    def write(self, batch: Sequence) -> list[RowError]:
        """Store a batch; returns errors for rows the database refused (the others are kept)."""
        if not batch:
            return []
        if self.dry_run:
            with self.factory() as session:
                self.counts.add(self._preview(session, batch))
                session.rollback()
            return []
        try:
            self.counts.add(self._commit(batch))
            self._batches += 1
            if self._batches & (self._batches - 1) == 0:  # after batch 1, 2, 4, 8, ...: as the tables double
                with transaction(self.factory) as session:
                    store.refresh_statistics(session)
            return []
        except (IntegrityError, DataError) as exc:  # bad data, not a lost connection: find the rows
            if len(batch) == 1:
                return self._refused(batch[0], exc)
        middle = len(batch) // 2
        return self.write(batch[:middle]) + self.write(batch[middle:])

    def _preview(self, session: Session, batch: Sequence) -> store.Counts:
        if self.kind == "customers":
            return store.preview_customers(session, self.cipher, batch)
        return store.preview_orders(session, batch)

    def _commit(self, batch: Sequence) -> store.Counts:
        # A concurrent writer (the API, a webhook) may store the same new person or order between
        # our look-up and our insert; a second attempt then finds its rows.
        for attempt in range(2):
            try:
                with transaction(self.factory) as session:
                    now = utcnow()
                    if self.kind == "customers":
                        return store.store_customers(session, self.cipher, batch, now=now, defaults=self.defaults)
                    return store.store_orders(session, self.cipher, batch, now=now)
            except IntegrityError:
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _refused(item, exc: SQLAlchemyError) -> list[RowError]:
        log.warning("import: the database refused a row: %s", type(exc).__name__, exc_info=True)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
        lines = [item.line] if hasattr(item, "line") else item.lines
        return [RowError(line, "", "", f"the database refused it: {reason}") for line in lines]
