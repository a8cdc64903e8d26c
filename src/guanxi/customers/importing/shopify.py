"""The `shopify` format: Shopify's customer export and order export, as the admin downloads them.

Orders: one row per line item; order-level cells only on an order's first row; rows of one
order are adjacent and share its Name. Orders are stored under source "shopify" with the order
Id as external id when the export has it (as the webhooks do, so both agree), else the Name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from guanxi.customers.importing import cells
from guanxi.customers.importing.cells import CellError
from guanxi.customers.importing.parsed import (
    Cells, CustomerItem, Item, OrderItem, ParseContext, adjacent_groups, check_header,
)
from guanxi.customers.importing.reader import Row
from guanxi.customers.schemas import CustomerCreate

SOURCE = "shopify"
# Status words of Shopify's "Financial Status", as the webhooks read them.
FINANCIAL_STATUS = {
    "pending": "pending", "authorized": "pending", "partially_paid": "pending", "paid": "paid",
    "partially_refunded": "partially_refunded", "refunded": "refunded", "voided": "cancelled",
}

# Each field under the names Shopify has used for it (current export first).
CUSTOMER_ALIASES = {
    "shopify_id": ("Customer ID", "ID", "Id"),
    "first_name": ("First Name",), "last_name": ("Last Name",),
    "email": ("Email",), "phone": ("Phone", "Default Address Phone"),
    "accepts_email": ("Accepts Email Marketing", "Accepts Marketing"), "accepts_sms": ("Accepts SMS Marketing",),
    "address1": ("Default Address Address1", "Address1"), "address2": ("Default Address Address2", "Address2"),
    "city": ("Default Address City", "City"),
    "province": ("Default Address Province Code", "Province Code", "Province"),
    "zip": ("Default Address Zip", "Zip"),
    "country": ("Default Address Country Code", "Country Code", "Country"),
    "tags": ("Tags",),
}
ORDER_COLUMNS = ("Name", "Id", "Email", "Phone", "Billing Phone", "Billing Name", "Financial Status", "Paid at",
                 "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Amount", "Created at",
                 "Cancelled at", "Refunded Amount", "Lineitem quantity", "Lineitem name", "Lineitem price",
                 "Lineitem sku")
PERSONAL_COLUMNS = frozenset({"First Name", "Last Name", "Email", "Phone", "Default Address Phone",
                              "Default Address Address1", "Default Address Address2", "Address1", "Address2",
                              "Default Address Zip", "Zip", "Billing Phone", "Billing Name", "Shipping Phone",
                              "Shipping Name", "Billing Street", "Shipping Street", "Billing Address1",
                              "Shipping Address1"})
LINE_FIELDS = {"sku": "Lineitem sku", "name": "Lineitem name", "quantity": "Lineitem quantity",
               "unit_price_minor": "Lineitem price"}
ORDER_FIELDS = {"placed_at": "Created at", "currency": "Currency", "total_minor": "Total",
                "discount_minor": "Discount Amount", "shipping_minor": "Shipping", "status": "Financial Status"}


def _cell(row: Row, header: set[str], aliases: tuple[str, ...]) -> tuple[str, str]:
    """(column, value): the first of the aliases the file has, and its cell, without Excel's text quote."""
    for column in aliases:
        if column in header and row.get(column):
            return column, row.get(column).lstrip("'")
    present = next((c for c in aliases if c in header), aliases[0])
    return present, ""


def full_name(first: str, last: str) -> str | None:
    first, last = " ".join(first.split()), " ".join(last.split())
    if not first or not last:
        return first or last or None
    if all(ord(ch) > 0x2E7F for ch in first + last):  # CJK: family name first, no space
        return last + first
    return f"{first} {last}"


def customers(header: list[str], rows: Iterable[Row], ctx: ParseContext) -> Iterator[Item]:
    check_header(header, [c for names in CUSTOMER_ALIASES.values() for c in names], "shopify", "customer", needed=2)
    names = set(header)
    for row in rows:
        yield customer_row(row, names)


def customer_row(row: Row, header: set[str]) -> Item:
    found = Cells([row])
    if found.errors:
        return found.rejected("")
    got = {field: _cell(row, header, aliases) for field, aliases in CUSTOMER_ALIASES.items()}
    column_of = {field: column for field, (column, _) in got.items()}
    value = {field: v for field, (_, v) in got.items()}
    body: dict = {"source": SOURCE, "acquisition_channel": "shopify"}
    body.update((field, value[field]) for field in ("shopify_id", "email", "phone") if value[field])
    name = full_name(value["first_name"], value["last_name"])
    if name:
        body["name"] = name
    address = ", ".join(v for v in (value[f] for f in ("address1", "address2", "city", "province", "zip",
                                                        "country")) if v)
    if address:
        body["address"] = address
    for field, target in (("city", "city"), ("province", "region")):
        with found.reading(row):
            text = cells.text(column_of[field], value[field], max_length=100)
            if text:
                body[target] = text
    consents = []
    for field, channel in (("accepts_email", "email"), ("accepts_sms", "sms")):
        with found.reading(row):
            granted = cells.yes_no(column_of[field], value[field])
            if granted is not None:
                consents.append((channel, "marketing", granted))
    tags = [t.strip() for t in value["tags"].split(",") if t.strip()]
    if tags:
        body["tags"] = tags
    fields = {**column_of, "name": column_of["first_name"], "address": column_of["address1"],
              "region": column_of["province"]}
    customer = found.validate(CustomerCreate, body, lambda loc: (
        row, fields.get(str(loc[0]), column_of["email"]) if loc else "Email/Phone/Customer ID"))
    return CustomerItem(row.line, customer.person(), consents) if customer else found.rejected("")


def orders(header: list[str], rows: Iterable[Row], ctx: ParseContext) -> Iterator[Item]:
    check_header(header, ORDER_COLUMNS, "shopify", "order", needed=3)
    names = set(header)
    for group in adjacent_groups(rows, lambda r: r.get("Name") or None):
        yield order_rows(group, names, ctx)


def order_rows(group: list[Row], header: set[str], ctx: ParseContext) -> Item:
    first = group[0]
    what = f"order {first.get('Name')!r}"
    found = Cells(group, key="Name")
    if found.errors:
        return found.rejected(what)
    id_column = "Id" if first.get("Id") else "Name"
    body: dict = {"source": SOURCE, "external_id": first.get(id_column).lstrip("'"), "channel": "shopify",
                  "lines": []}
    status_text = first.get("Financial Status").lower()
    body["status"] = FINANCIAL_STATUS.get(status_text, status_text or "paid")
    if first.get("Cancelled at"):
        body["status"] = "cancelled"
    code = found.order_head(first, ctx, body, ORDER_FIELDS)
    refunded = None
    with found.reading(first):
        if first.get("Refunded Amount"):
            refunded = cells.amount("Refunded Amount", first.get("Refunded Amount"), code)
            if refunded > body.get("total_minor", refunded):
                raise CellError("Refunded Amount", first.get("Refunded Amount"), "more than the order's Total")
        elif body["status"] == "refunded":
            refunded = body.get("total_minor")
    phone_column, phone = _cell(first, header, ("Phone", "Billing Phone"))
    customer = {"email": first.get("Email"), "phone": phone, "name": first.get("Billing Name")}
    body["customer"] = {k: v for k, v in customer.items() if v}
    line_rows = []
    for row in group:
        if row.get("Lineitem quantity") or row.get("Lineitem name") or row.get("Lineitem sku"):
            with found.reading(row):
                body["lines"].append(_line(row, code))
                line_rows.append(row)
    order = found.order(body, lambda loc: _order_cell(first, line_rows, loc, id_column, phone_column))
    return OrderItem([r.line for r in group], order, refunded) if order else found.rejected(what)


def _line(row: Row, code: str) -> dict:
    name = " ".join(row.get("Lineitem name").split())[:300]
    sku = row.get("Lineitem sku") or name[:100]
    return {"sku": sku, "name": name, "quantity": cells.count("Lineitem quantity", row.get("Lineitem quantity")),
            "unit_price_minor": cells.amount("Lineitem price", row.get("Lineitem price"), code)}


def _order_cell(first: Row, line_rows: list[Row], loc: tuple, id_column: str, phone_column: str) -> tuple[Row, str]:
    if len(loc) > 1 and loc[0] == "lines" and isinstance(loc[1], int) and loc[1] < len(line_rows):
        return line_rows[loc[1]], LINE_FIELDS.get(str(loc[2]) if len(loc) > 2 else "", "Lineitem sku")
    if loc and loc[0] == "customer":
        fields = {"email": "Email", "phone": phone_column, "name": "Billing Name"}
        return first, fields.get(str(loc[1]) if len(loc) > 1 else "", "Email/Phone")
    if loc and loc[0] == "external_id":
        return first, id_column
    return first, ORDER_FIELDS.get(str(loc[0]) if loc else "", "Name")
