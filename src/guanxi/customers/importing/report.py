"""The error report (a CSV of line, column, value, reason, written as it goes) and the summary."""

from __future__ import annotations

import csv
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from guanxi.customers.importing.parsed import RowError
from guanxi.customers.importing.store import Counts

HEADER = ("line", "column", "value", "reason")
SHOWN_ERRORS = 20


class ErrorReport:
    """Bad rows streamed to `path` (created on the first one, private to the owner), so memory stays flat."""

    def __init__(self, path: Path):
        self.path = path
        self.bad_rows = 0
        self.first: list[RowError] = []
        self._file = None
        self._writer = None

    def add(self, errors: list[RowError]) -> None:
        if not errors:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # UTF-8 with a BOM: Excel then shows Chinese cells correctly.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self._file = open(fd, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._file)
            self._writer.writerow(HEADER)
        self.bad_rows += len({e.line for e in errors})
        for e in errors:
            self._writer.writerow((e.line, e.column, e.value, e.reason))
            if len(self.first) < SHOWN_ERRORS:
                self.first.append(e)

    @property
    def written(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> ErrorReport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Summary:
    import_id: str
    kind: str
    format: str
    file: str
    dry_run: bool
    encoding: str | None = None
    bytes: int = 0
    rows: int = 0
    bad_rows: int = 0
    counts: Counts = field(default_factory=Counts)
    errors_path: str | None = None
    first_errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def good_rows(self) -> int:
        return self.rows - self.bad_rows

    def as_dict(self) -> dict:
        data = asdict(self)
        counts = data.pop("counts")
        data["first_errors"] = [asdict(e) for e in self.first_errors]
        return {**data, "good_rows": self.good_rows, **counts, "seconds": round(self.seconds, 3)}
