"""Reader for the CDNOW purchase logs (Fader, Hardie & Lee), in both published layouts.

- ``CDNOW_master.txt``: a header line, then ``customer_id date cds dollars``;
- ``CDNOW_sample.txt``: no header, ``customer_id sample_id date cds dollars``.

Rows are yielded one by one, in file order, so an importer can stream the 70,000-row
master file without holding it. Same-day rows stay separate: merging them is a modelling
choice (see ``analytics.summary``), not the reader's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from os import PathLike
from typing import NamedTuple


class CdnowPurchase(NamedTuple):
    customer_id: str  # as written in the file, e.g. "00004"; the same id in master and sample
    date: date
    cds: int
    amount_minor: int  # US cents


def read_cdnow(path: str | PathLike[str]) -> Iterator[CdnowPurchase]:
    """Yield one ``CdnowPurchase`` per row of a CDNOW master or sample file.

    The layout is told by the number of columns on each row (4: master, 5: sample), so a
    file need not be named in any particular way. Raises ``ValueError`` naming the file and
    line for a row that is neither.
    """
    with open(path, encoding="ascii") as lines:
        for lineno, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields or (lineno == 1 and fields[0] == "customer_id"):
                continue
            try:
                yield _parse(fields)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: {exc}: {line.strip()!r}") from None


def _parse(fields: list[str]) -> CdnowPurchase:
    if len(fields) == 5:
        customer, _sample_id, day, cds, dollars = fields
    elif len(fields) == 4:
        customer, day, cds, dollars = fields
    else:
        raise ValueError(f"expected 4 (master) or 5 (sample) columns, found {len(fields)}")
    if len(day) != 8 or not day.isdigit():
        raise ValueError(f"date {day!r} is not YYYYMMDD")
    return CdnowPurchase(
        customer_id=customer,
        date=date(int(day[:4]), int(day[4:6]), int(day[6:])),
        cds=int(cds),
        amount_minor=_cents(dollars),
    )


def _cents(dollars: str) -> int:
    # Decimal, not float: 29.33 * 100 as a float is 2932.9999..., and money must not drift.
    try:
        cents = Decimal(dollars) * 100
    except InvalidOperation:
        raise ValueError(f"amount {dollars!r} is not a number") from None
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {dollars!r} has fractions of a cent")
    return int(cents)
