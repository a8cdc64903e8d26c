"""The `cdnow` format: the CDNOW purchase logs (../shared/data/cdnow/README.md), orders only.

Both layouts, told apart row by row: master (a header line, then `customer_id date cds
dollars`) and sample (no header, `customer_id sample_id date cds dollars`). One customer per
CDNOW id (identity kind `external`, source `cdnow`); one paid USD order per row, with one line
of `cds` CDs. Same-day rows stay separate orders: their external id is
`<customer>-<YYYYMMDD>-<n>`, n counting that customer's rows of that day in file order, so the
same file gives the same ids every time.

Dates carry no time or zone; an order is placed at 12:00 UTC of its day, which is the same
calendar day in every time zone from UTC-11 to UTC+11.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from guanxi.customers import normalise
from guanxi.customers.importing import cells
from guanxi.customers.importing.cells import CellError
from guanxi.customers.importing.parsed import Item, OrderItem, ParseContext, Rejected, RowError, without_value
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.errors import Invalid

SOURCE = "cdnow"
CURRENCY = "USD"
SKU = "CDNOW-CD"
NOON = dt.timedelta(hours=12)
MASTER = ("customer_id", "date", "number_of_cds", "dollar_value")
SAMPLE = ("customer_id", "sample_id", "date", "number_of_cds", "dollar_value")
PERSONAL_COLUMNS: frozenset[str] = frozenset()


def orders(lines: Iterable[tuple[int, str]], ctx: ParseContext) -> Iterator[Item]:
    # Rows counted per (customer, day), so that the n-th purchase of a day keeps its id in any row
    # order: memory grows with the customer-days (about 70,000 in the master log), not with the rows.
    seen: dict[tuple[str, str], int] = {}
    for number, text in lines:
        fields = text.split()
        if not fields or (number == 1 and fields[0] == "customer_id"):
            continue
        try:
            yield _order(number, fields, seen)
        except CellError as exc:
            yield Rejected(1, [RowError(number, exc.column, exc.value, without_value(exc.reason, exc.value))])


def _order(number: int, fields: list[str], seen: dict[tuple[str, str], int]) -> OrderItem:
    if len(fields) not in (4, 5):
        raise CellError("", " ".join(fields), f"expected 4 columns (master) or 5 (sample), found {len(fields)}")
    values = dict(zip(SAMPLE if len(fields) == 5 else MASTER, fields, strict=True))
    customer = values["customer_id"]
    try:
        customer = normalise.identity("external", customer)
    except Invalid as exc:
        raise CellError("customer_id", values["customer_id"], exc.detail) from None
    day = values["date"]
    placed_at = cells.compact_date("date", day, dt.UTC) + NOON
    cds = cells.count("number_of_cds", values["number_of_cds"])
    total = cells.amount("dollar_value", values["dollar_value"], CURRENCY)
    n = seen[(customer, day)] = seen.get((customer, day), 0) + 1
    person = PersonIn(identities=[IdentityKey("external", SOURCE, customer)], acquired_at=placed_at)
    order = OrderIn(
        source=SOURCE, external_id=f"{customer}-{day}-{n}", person=person, placed_at=placed_at, currency=CURRENCY,
        total_minor=total, status="paid",
        # The log has only the basket's total: the line's unit price is the average, the total is exact.
        lines=[LineIn(sku=SKU, name="CD", category="music/cd", quantity=cds, unit_price_minor=(total + cds // 2) // cds)],
    )
    return OrderItem([number], order)
