"""A file as a stream of rows, whatever encoding a shop's tools wrote it in; constant memory.

Encodings: UTF-8, UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), and GB18030, the
superset of GBK and GB2312 that Chinese Excel writes for plain "CSV". The encoding is told
from the first block of the file alone: a BOM names it; valid UTF-8 is UTF-8 (pure ASCII is
both); valid GB18030 is GB18030; else the one of the two the block reads best in. A byte that
does not fit becomes U+FFFD, and only the row holding it is reported (see ``Row.undecodable``),
not the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from guanxi.errors import Invalid

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", "\t", ";")
REPLACEMENT = "\ufffd"
csv.field_size_limit(1024 * 1024)  # a long note or address is fine; a runaway quote is still caught


class NotText(Invalid):
    """The file is not text in an encoding we read (a workbook, UTF-16, an image, ...)."""


@dataclass
class Row:
    line: int                   # the line the row starts on, counting the header as line 1
    cells: dict[str, str]       # header name -> stripped cell text
    error: str | None = None    # the row could not be split into cells

    def get(self, column: str) -> str:
        return self.cells.get(column, "")

    def undecodable(self) -> str | None:
        """The first column holding bytes the file's encoding cannot read, if any."""
        return next((name for name, value in self.cells.items() if REPLACEMENT in value), None)


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise NotText("the file is UTF-16 (Excel's \"Unicode text\"): save it as \"CSV UTF-8\" instead")
    if b"\x00" in head:
        raise NotText("the file is not text (an Excel workbook or another binary file?): save it as CSV first")
    # Valid UTF-8 first (ASCII is both); else the encoding the sample reads best in, so that a stray
    # bad byte costs its row, not the file.
    errors = {}
    for encoding in ("utf-8", "gb18030"):
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
        errors[encoding] = text.count(REPLACEMENT)
        if errors[encoding] == 0:
            return encoding
    return min(errors, key=errors.get)


class TextFile:
    """An open file decoded as text, with how far into it (in bytes) reading has come."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self._binary = open(self.path, "rb")  # noqa: SIM115  (closed by close() / the context manager)
        try:
            self.encoding = detect_encoding(self._binary.read(SAMPLE_BYTES))
        except Exception:
            self._binary.close()
            raise
        self._binary.seek(0)
        self.text = io.TextIOWrapper(self._binary, encoding=self.encoding, errors="replace", newline="")

    def bytes_read(self) -> int:
        """Bytes consumed so far (to the decoder's read-ahead block): the progress of a streaming read."""
        return self.size if self._binary.closed else min(self._binary.tell(), self.size)

    def close(self) -> None:
        self.text.close()

    def __enter__(self) -> TextFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, text without the line end) for every line, blank ones included."""
        for number, line in enumerate(self.text, start=1):
            yield number, line.rstrip("\r\n")

    def csv_rows(self) -> tuple[list[str], Iterator[Row]]:
        """The header (names stripped) and an iterator over the data rows as `Row`s.

        The delimiter is the one of comma, tab and semicolon the header line holds most of.
        Blank lines are skipped. A row with more cells than the header is an error row; a row
        with fewer (Excel drops trailing empty cells) is padded.
        """
        first = self.text.readline()
        if not first.strip():
            raise Invalid("the file is empty, or its first line (the header) is blank")
        delimiter = max(DELIMITERS, key=first.count)
        reader = csv.reader(itertools.chain([first], self.text), delimiter=delimiter)
        header = [name.strip() for name in next(reader)]
        return header, self._rows(reader, header)

    @staticmethod
    def _rows(reader, header: list[str]) -> Iterator[Row]:
        width = len(header)
        last_line = reader.line_num
        while True:
            start = last_line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last_line = reader.line_num
                yield Row(start, {}, error=f"the row is not well-formed CSV ({exc})")
                continue
            last_line = reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                yield Row(start, {}, error=f"the row has {len(cells)} cells but the header has {width}")
                continue
            yield Row(start, {name: value.strip() for name, value in zip(header, cells)})
