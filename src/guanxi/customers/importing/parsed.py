"""What a row parser hands on: a customer, an order (from one or more rows), or rejected rows."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from guanxi.customers.importing import cells
from guanxi.customers.importing.cells import CellError
from guanxi.customers.importing.reader import Row
from guanxi.customers.records import IdentityKey, OrderIn, PersonIn
from guanxi.customers.schemas import CustomerRef, OrderCreate
from guanxi.errors import Invalid

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    value: str
    reason: str


@dataclass
class CustomerItem:
    line: int
    person: PersonIn
    consents: list[tuple[str, str, bool]] = field(default_factory=list)  # (channel, purpose, granted)

    @property
    def rows(self) -> int:
        return 1


@dataclass
class OrderItem:
    lines: list[int]
    order: OrderIn
    refunded_minor: int | None = None  # refunded so far, when the export says (Shopify)

    @property
    def rows(self) -> int:
        return len(self.lines)


@dataclass
class Rejected:
    rows: int
    errors: list[RowError]


Item = CustomerItem | OrderItem | Rejected


@dataclass(frozen=True)
class ParseContext:
    """The shop's defaults that fill what a file leaves out."""

    timezone: ZoneInfo
    region: str = "CN"
    currency: str = "CNY"
    locale: str = "zh-CN"


def without_value(reason: str, value: str) -> str:
    """The reason without the value quoted in it: the report has the value in its own column,
    and a reason must stay shareable when the value (an e-mail, a phone) is masked."""
    for form in {value, value.strip(), " ".join(unicodedata.normalize("NFKC", value).split())}:
        if form:
            reason = reason.replace(repr(form), "the value")
    return reason


class ImportedOrder(OrderCreate):
    """OrderCreate whose customer was checked on its own (as a CustomerRef), and is given as a `Buyer`."""

    customer: Any


class Buyer:
    """An order's customer, checked once by CustomerRef.

    person() reuses the phone number CustomerRef already brought to E.164 rather than parsing it
    again: phone parsing is the dearest step of reading an order row.
    """

    def __init__(self, ref: CustomerRef):
        self.ref = ref

    def person(self, source: str) -> PersonIn:
        keys = self.ref.model_copy(update={"phone": None}).identity_keys(source)
        if self.ref.phone:  # identity_keys puts the phone last too
            keys.append(IdentityKey("phone", "", self.ref.phone))
        return PersonIn(identities=keys, name=self.ref.name)


def cell_error(row: Row, exc: CellError) -> RowError:
    return RowError(row.line, exc.column, exc.value, without_value(exc.reason, exc.value))


def row_problem(row: Row) -> RowError | None:
    """A row that could not be split into cells, or holds bytes its file's encoding cannot read."""
    if row.error:
        return RowError(row.line, "", "", row.error)
    column = row.undecodable()
    if column:
        return RowError(row.line, column, row.get(column), "holds bytes that are not valid text in the file's "
                        "encoding (is the file in one encoding throughout?)")
    return None


class Cells:
    """The bad cells of one item, gathered so that a row reports all its problems at once."""

    def __init__(self, rows: list[Row], *, key: str | None = None):
        self.rows = rows
        self.errors: list[RowError] = [p for p in map(row_problem, rows) if p]
        if key and not self.errors and not rows[0].get(key):
            self.errors.append(RowError(rows[0].line, key, "", f"the order's {key} is missing"))

    @contextmanager
    def reading(self, row: Row) -> Iterator[None]:
        try:
            yield
        except CellError as exc:
            self.errors.append(cell_error(row, exc))

    def order_head(self, row: Row, ctx: ParseContext, body: dict, column_of: dict[str, str]) -> str:
        """Currency, time and amounts of an order into `body`, from the columns named for each model
        field; returns the currency to read line prices in."""
        code = ctx.currency
        with self.reading(row):
            code = body["currency"] = cells.currency(column_of["currency"], row.get(column_of["currency"]), code)
        with self.reading(row):
            body["placed_at"] = cells.timestamp(column_of["placed_at"], row.get(column_of["placed_at"]), ctx.timezone)
        for name, default in (("total_minor", None), ("discount_minor", 0), ("shipping_minor", 0)):
            with self.reading(row):
                body[name] = cells.amount(column_of[name], row.get(column_of[name]), code, default=default)
        return code

    def order(self, body: dict, locate: Callable[[tuple], tuple[Row, str]]) -> OrderIn | None:
        """The order record from a body whose `customer` is the dict of CustomerRef fields."""
        ref = self.validate(CustomerRef, body["customer"], lambda loc: locate(("customer", *loc)))
        order = self.validate(ImportedOrder, {**body, "customer": Buyer(ref) if ref else None}, locate)
        return order.record() if order else None

    def validate(self, model: type[M], body: dict, locate: Callable[[tuple], tuple[Row, str]]) -> M | None:
        """The request model built from the body, or None with its field errors added to the bad cells
        (a cell already reported is not reported twice)."""
        try:
            built = model.model_validate(body)
        except ValidationError as exc:
            seen = {(e.line, e.column) for e in self.errors}
            self.errors += [e for e in schema_errors(exc, locate) if (e.line, e.column) not in seen]
            return None
        return None if self.errors else built

    def rejected(self, what: str) -> Rejected:
        return reject(self.rows, self.errors, what)


def schema_errors(exc: ValidationError, locate: Callable[[tuple], tuple[Row, str]]) -> list[RowError]:
    """Field errors of the API's request models, pointed back at the row and column they came from."""
    errors = []
    for err in exc.errors():
        row, column = locate(tuple(err["loc"]))
        value = row.get(column)
        errors.append(RowError(row.line, column, value, without_value(err["msg"].removeprefix("Value error, "), value)))
    return errors


def reject(rows: list[Row], errors: list[RowError], what: str) -> Rejected:
    """Reject a group of rows together: the bad ones with their reasons, the others saying why."""
    bad = sorted({e.line for e in errors})
    others = [RowError(r.line, "", "", f"not imported: another row of {what} is bad (line {bad[0]})")
              for r in rows if r.line not in bad]
    return Rejected(len(rows), sorted([*errors, *others], key=lambda e: e.line))


def adjacent_groups(rows: Iterable[Row], key: Callable[[Row], object]) -> Iterator[list[Row]]:
    """Consecutive rows with the same key (the rows of one order); an empty key is a group alone."""
    group: list[Row] = []
    current = None
    for row in rows:
        k = key(row) if not row.error else None
        if group and (k is None or k != current):
            yield group
            group = []
        group.append(row)
        current = k
        if k is None:
            yield group
            group = []
    if group:
        yield group


def check_header(header: list[str], known: Iterable[str], fmt: str, kind: str, *, needed: int = 1) -> list[str]:
    """Refuse a file with (almost) none of the format's columns; return the columns that will be ignored."""
    known = set(known)
    found = [name for name in header if name in known]
    if len(found) < needed:
        raise Invalid(f"the header has none of the {fmt} {kind} columns (is this the right --format and kind?); "
                      f"found: {', '.join(header[:8])}{' ...' if len(header) > 8 else ''}")
    return [name for name in header if name and name not in known]
