"""The `guanxi` format: our own CSV columns for customers and orders (documented in docs/IMPORT.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from guanxi.customers.importing import cells
from guanxi.customers.importing.cells import CellError
from guanxi.customers.importing.parsed import (
    Cells, CustomerItem, Item, OrderItem, ParseContext, RowError, adjacent_groups, check_header,
)
from guanxi.customers.importing.reader import Row
from guanxi.customers.schemas import CustomerCreate

DEFAULT_SOURCE = "import"
IDENTITY_COLUMNS = ("email", "phone", "external_id", "wechat_openid", "wechat_unionid", "douyin_id", "weibo_id",
                    "shopify_id")
PROFILE_COLUMNS = ("name", "birthday", "gender", "city", "region", "address", "locale", "timezone",
                   "acquisition_channel", "tags")
CONSENT_COLUMNS = {"accepts_email_marketing": ("email", "marketing"), "accepts_sms_marketing": ("sms", "marketing")}
CUSTOMER_COLUMNS = ("source", *IDENTITY_COLUMNS, *PROFILE_COLUMNS, *CONSENT_COLUMNS)

ORDER_LEVEL = ("source", "external_id", "customer_email", "customer_phone", "customer_external_id", "customer_name",
               "placed_at", "currency", "status", "total", "discount", "shipping", "channel", "store")
LINE_LEVEL = ("sku", "product_name", "category", "quantity", "unit_price")
ORDER_COLUMNS = (*ORDER_LEVEL, *LINE_LEVEL)
CUSTOMER_REF = "customer_email/customer_phone/customer_external_id"
IDENTITY_REF = "email/phone/external_id"

PERSONAL_COLUMNS = frozenset({"email", "phone", "name", "birthday", "address", "wechat_openid", "wechat_unionid",
                              "douyin_id", "weibo_id", "customer_email", "customer_phone", "customer_name"})

GENDERS = {"f": "female", "female": "female", "女": "female", "w": "female", "m": "male", "male": "male",
           "男": "male", "other": "other", "其他": "other", "unknown": "unknown", "未知": "unknown"}
LOCALES = {"zh-cn": "zh-CN", "zh_cn": "zh-CN", "zh": "zh-CN", "zh-hans": "zh-CN", "en": "en", "en-us": "en",
           "en_us": "en", "en-gb": "en", "en_gb": "en"}
# Model fields to the column they come from, for pointing a validation error at its cell.
ORDER_FIELDS = {"source": "source", "external_id": "external_id", "placed_at": "placed_at", "currency": "currency",
                "status": "status", "total_minor": "total", "discount_minor": "discount",
                "shipping_minor": "shipping", "channel": "channel", "store": "store"}
REF_FIELDS = {"email": "customer_email", "phone": "customer_phone", "external_id": "customer_external_id",
              "name": "customer_name"}
LINE_FIELDS = {"sku": "sku", "name": "product_name", "category": "category", "quantity": "quantity",
               "unit_price_minor": "unit_price"}


def customers(header: list[str], rows: Iterable[Row], ctx: ParseContext) -> Iterator[Item]:
    check_header(header, CUSTOMER_COLUMNS, "guanxi", "customer")
    for row in rows:
        yield customer_row(row, ctx)


def customer_row(row: Row, ctx: ParseContext) -> Item:
    found = Cells([row])
    if found.errors:
        return found.rejected("")
    body: dict = {"source": row.get("source") or DEFAULT_SOURCE}
    body.update((column, row.get(column)) for column in IDENTITY_COLUMNS if row.get(column))
    body.update(profile_fields(row, found))
    consents = []
    for column, (channel, purpose) in CONSENT_COLUMNS.items():
        with found.reading(row):
            granted = cells.yes_no(column, row.get(column))
            if granted is not None:
                consents.append((channel, purpose, granted))
    customer = found.validate(CustomerCreate, body, lambda loc: (row, str(loc[0]) if loc else IDENTITY_REF))
    return CustomerItem(row.line, customer.person(), consents) if customer else found.rejected("")


def profile_fields(row: Row, found: Cells) -> dict:
    """Profile columns cleaned for CustomerCreate; a bad cell is noted in `found` and left out."""
    fields: dict = {column: row.get(column) for column in ("name", "birthday", "address", "acquisition_channel",
                                                           "timezone") if row.get(column)}
    if "birthday" in fields:
        fields["birthday"] = fields["birthday"].replace("/", "-")
    for column in ("city", "region"):  # the columns hold 100 characters
        with found.reading(row):
            fields[column] = cells.text(column, row.get(column), max_length=100)
    for column, choices, hint in (("gender", GENDERS, "use female, male, other or unknown (or 女/男)"),
                                  ("locale", LOCALES, "use zh-CN or en")):
        if row.get(column):
            with found.reading(row):
                if row.get(column).lower() not in choices:
                    raise CellError(column, row.get(column), hint)
                fields[column] = choices[row.get(column).lower()]
    tags = [t.strip() for t in row.get("tags").replace("；", ";").split(";") if t.strip()]
    if tags:
        fields["tags"] = tags
    return {k: v for k, v in fields.items() if v is not None}


def orders(header: list[str], rows: Iterable[Row], ctx: ParseContext) -> Iterator[Item]:
    check_header(header, ORDER_COLUMNS, "guanxi", "order", needed=2)
    key = lambda r: (r.get("source") or DEFAULT_SOURCE, r.get("external_id")) if r.get("external_id") else None  # noqa: E731
    for group in adjacent_groups(rows, key):
        yield order_rows(group, ctx)


def order_rows(group: list[Row], ctx: ParseContext) -> Item:
    first = group[0]
    what = f"order {first.get('external_id')!r}"
    found = Cells(group, key="external_id")
    if found.errors:
        return found.rejected(what)
    body: dict = {"source": first.get("source") or DEFAULT_SOURCE, "external_id": first.get("external_id"),
                  "status": first.get("status").lower() or "paid", "lines": []}
    code = found.order_head(first, ctx, body, ORDER_FIELDS)
    body["customer"] = {field: first.get(column) for field, column in REF_FIELDS.items() if first.get(column)}
    body.update((column, first.get(column)) for column in ("channel", "store") if first.get(column))
    line_rows = []
    for row in group:
        found.errors += _differing(first, row)
        if any(row.get(c) for c in ("sku", "quantity", "unit_price")):
            with found.reading(row):
                body["lines"].append(_line(row, code))
                line_rows.append(row)
    order = found.order(body, lambda loc: _order_cell(first, line_rows, loc))
    return OrderItem([r.line for r in group], order) if order else found.rejected(what)


def _line(row: Row, code: str) -> dict:
    line = {"sku": row.get("sku"), "name": row.get("product_name"),
            "quantity": cells.count("quantity", row.get("quantity")),
            "unit_price_minor": cells.amount("unit_price", row.get("unit_price"), code)}
    if row.get("category"):
        line["category"] = row.get("category")
    return line


def _differing(first: Row, row: Row) -> list[RowError]:
    """Order-level cells repeated on later rows must agree with the order's first row."""
    if row is first:
        return []
    return [RowError(row.line, c, row.get(c), f"differs from line {first.line} of the same order")
            for c in ORDER_LEVEL if row.get(c) and first.get(c) and row.get(c) != first.get(c)]


def _order_cell(first: Row, line_rows: list[Row], loc: tuple) -> tuple[Row, str]:
    if len(loc) > 1 and loc[0] == "lines" and isinstance(loc[1], int) and loc[1] < len(line_rows):
        return line_rows[loc[1]], LINE_FIELDS.get(str(loc[2]) if len(loc) > 2 else "", "sku")
    if loc and loc[0] == "customer":
        return first, REF_FIELDS.get(str(loc[1]), CUSTOMER_REF) if len(loc) > 1 else CUSTOMER_REF
    return first, ORDER_FIELDS.get(str(loc[0]) if loc else "", "external_id")
