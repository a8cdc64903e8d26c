"""Imports of our own CSV columns and of Shopify's exports, on SQLite and PostgreSQL: round trips,
GBK and UTF-8-BOM files, bad rows reported one by one, re-imports and dry runs that change nothing."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import func, select

from guanxi.customers import profiles
from guanxi.customers.importing import run_import
from guanxi.customers.models import Consent, Customer, Identity, Order, OrderLine, Refund

CUSTOMER_HEADER = ["email", "phone", "external_id", "source", "name", "birthday", "gender", "city", "region",
                   "locale", "timezone", "tags", "acquisition_channel", "accepts_email_marketing"]
ORDER_HEADER = ["source", "external_id", "customer_email", "customer_phone", "customer_external_id", "placed_at",
                "currency", "status", "total", "discount", "shipping", "channel", "sku", "product_name", "category",
                "quantity", "unit_price"]


def write_csv(path, header, rows, encoding="utf-8"):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header] if isinstance(row, dict) else row)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def do_import(runtime, path, kind, fmt, **kw):
    return run_import(runtime.factory, runtime.cipher, runtime.settings, kind=kind, fmt=fmt, path=path, **kw)


def snapshot(runtime) -> dict:
    """Counts, sums and last-change times: equal before and after a re-import that changes nothing."""
    with runtime.factory() as s:
        def n(model):
            return s.scalar(select(func.count()).select_from(model))
        return {
            "customers": n(Customer), "identities": n(Identity), "orders": n(Order), "lines": n(OrderLine),
            "consents": n(Consent), "refunds": n(Refund),
            "total": s.scalar(select(func.coalesce(func.sum(Order.total_minor), 0))),
            "refunded": s.scalar(select(func.coalesce(func.sum(Order.refunded_minor), 0))),
            "statuses": sorted(s.scalars(select(Order.status))),
            "customers_changed": s.scalar(select(func.max(Customer.updated_at))),
            "orders_changed": s.scalar(select(func.max(Order.updated_at))),
        }


def profile(runtime, query: str) -> dict:
    with runtime.factory() as s:
        [found] = profiles.search(s, runtime.cipher, query)
        return profiles.view(s, runtime.cipher, found.id, reveal=True)


def people(n: int) -> list[dict]:
    return [{"email": f"buyer{i}@example.com", "phone": f"+86138{i:08d}", "name": f"顾客{i}", "city": "上海",
             "birthday": f"1990-{1 + i % 12:02d}-{1 + i % 28:02d}", "gender": "女" if i % 2 else "male",
             "tags": "vip;beauty" if i % 3 == 0 else "", "accepts_email_marketing": "yes" if i % 2 else "no"}
            for i in range(n)]


def one_line_orders(n: int, offset: int = 0) -> list[dict]:
    return [{"source": "shop", "external_id": f"o{offset + i}", "customer_email": f"buyer{i % 40}@example.com",
             "placed_at": f"2026-{1 + i % 12:02d}-11 10:00:00", "currency": "CNY", "total": f"{100 + i}.50",
             "shipping": "10.00", "channel": "wechat", "sku": f"SKU-{i % 7}", "product_name": "口红 Lipstick",
             "category": "beauty/lips", "quantity": "1", "unit_price": f"{90 + i}.50"} for i in range(n)]


def test_guanxi_customers_round_trip_and_reimport(runtime, tmp_path):
    rows = people(30)
    rows[4] |= {"external_id": "u-4", "source": "erp", "region": "广东", "locale": "en", "timezone": "Europe/Paris"}
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    first = do_import(runtime, path, "customers", "guanxi")
    assert (first.rows, first.bad_rows, first.counts.customers_created) == (30, 0, 30)
    assert first.counts.consents_recorded == 30 and first.errors_path is None
    p = profile(runtime, "buyer4@example.com")
    assert (p["name"], p["birthday"], p["gender"], p["city"], p["region"], p["locale"], p["timezone"]) == (
        "顾客4", "1990-05-05", "male", "上海", "广东", "en", "Europe/Paris")
    assert {i["value"] for i in p["identities"]} == {"buyer4@example.com", "+8613800000004", "u-4"}
    assert sorted(profile(runtime, "buyer3@example.com")["tags"]) == ["beauty", "vip"]
    consent = {(c["channel"], c["purpose"]): c["granted"] for c in profile(runtime, "buyer3@example.com")["consents"]}
    assert consent == {("email", "marketing"): True}

    before = snapshot(runtime)
    again = do_import(runtime, path, "customers", "guanxi")
    assert snapshot(runtime) == before
    assert (again.counts.customers_created, again.counts.customers_known, again.counts.customers_updated,
            again.counts.consents_recorded) == (0, 30, 0, 0)

    rows[4] |= {"name": "Li Na", "tags": "wholesale", "accepts_email_marketing": "yes"}
    write_csv(path, CUSTOMER_HEADER, rows)
    changed = do_import(runtime, path, "customers", "guanxi")
    assert (changed.counts.customers_updated, changed.counts.consents_recorded) == (1, 1)
    p = profile(runtime, "+8613800000004")
    assert p["name"] == "Li Na" and p["tags"] == ["wholesale"]
    assert snapshot(runtime)["customers"] == 30


def test_guanxi_orders_round_trip_with_multi_line_orders(runtime, tmp_path):
    rows = one_line_orders(20)
    rows.insert(1, {"external_id": "o0", "source": "shop", "sku": "MASK-02", "product_name": "面膜 Mask",
                    "quantity": "3", "unit_price": "5.00"})
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows)
    summary = do_import(runtime, path, "orders", "guanxi")
    assert (summary.rows, summary.bad_rows, summary.counts.orders_created, summary.counts.order_lines) == (21, 0, 20, 21)
    assert summary.counts.customers_created == 20
    expected_total = sum(int(Decimal(r["total"]) * 100) for r in rows if r.get("total"))
    state = snapshot(runtime)
    assert (state["orders"], state["lines"], state["total"]) == (20, 21, expected_total)
    with runtime.factory() as s:
        o0 = s.scalar(select(Order).where(Order.external_id == "o0"))
        assert (o0.total_minor, o0.shipping_minor, o0.currency, o0.channel) == (10050, 1000, "CNY", "wechat")
        assert o0.placed_at.isoformat() == "2026-01-11T02:00:00+00:00"  # 10:00 in Asia/Shanghai
        lines = s.scalars(select(OrderLine).where(OrderLine.order_id == o0.id).order_by(OrderLine.line_no)).all()
        assert [(l.sku, l.quantity, l.unit_price_minor) for l in lines] == [("SKU-0", 1, 9050), ("MASK-02", 3, 500)]
    p = profile(runtime, "buyer1@example.com")
    assert p["orders_count"] == 1 and p["orders_total_minor"] == 10150

    before = snapshot(runtime)
    again = do_import(runtime, path, "orders", "guanxi")
    assert (again.counts.orders_created, again.counts.orders_known, again.counts.customers_created) == (0, 20, 0)
    assert snapshot(runtime) == before


def test_five_percent_bad_rows_are_each_reported_and_every_good_row_is_kept(runtime, tmp_path):
    rows = one_line_orders(200)
    bad = {  # row index -> (column, reason fragment)
        7: ("placed_at", "not a real date", {"placed_at": "2026-02-30 10:00"}),
        23: ("quantity", "negative", {"quantity": "-2"}),
        41: ("currency", "ISO 4217", {"currency": "RMBX"}),
        58: ("customer_email", "not a valid e-mail", {"customer_email": "buyer@@example"}),
        77: ("customer_phone", "phone", {"customer_email": "", "customer_phone": "12345"}),
        96: ("customer_email/customer_phone/customer_external_id", "identity", {"customer_email": ""}),
        115: ("total", "not an amount", {"total": "12abc"}),
        131: ("unit_price", "decimals", {"unit_price": "1.005"}),
        150: ("status", "", {"status": "lost"}),
        188: ("quantity", "at least 1", {"quantity": "0"}),
    }
    for i, (_, _, change) in bad.items():
        rows[i] |= change
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows)
    summary = do_import(runtime, path, "orders", "guanxi")
    assert (summary.rows, summary.bad_rows, summary.counts.orders_created) == (200, 10, 190)

    with open(summary.errors_path, encoding="utf-8-sig", newline="") as f:
        report = list(csv.DictReader(f))
    assert [int(r["line"]) for r in report] == [i + 2 for i in sorted(bad)]  # line 1 is the header
    for r, i in zip(report, sorted(bad), strict=True):
        column, reason, change = bad[i]
        assert r["column"] == column and reason in r["reason"], r
        assert r["value"] == change.get(column, "")
    good_total = sum(int(Decimal(r["total"]) * 100) for i, r in enumerate(rows) if i not in bad)
    state = snapshot(runtime)
    assert (state["orders"], state["total"]) == (190, good_total)
    with runtime.factory() as s:
        stored = set(s.scalars(select(Order.external_id)))
    assert stored == {r["external_id"] for i, r in enumerate(rows) if i not in bad}

    again = do_import(runtime, path, "orders", "guanxi")
    assert (again.bad_rows, again.counts.orders_known) == (10, 190)
    assert snapshot(runtime) == state


def test_a_bad_line_rejects_its_whole_order_and_names_every_row(runtime, tmp_path):
    rows = [one_line_orders(1)[0], {"source": "shop", "external_id": "o0", "sku": "X", "quantity": "-1",
                                    "unit_price": "1.00"},
            {"source": "shop", "external_id": "o0", "sku": "Y", "quantity": "1", "unit_price": "1.00",
             "total": "999.00"}, *one_line_orders(1, offset=1)]
    summary = do_import(runtime, write_csv(tmp_path / "o.csv", ORDER_HEADER, rows), "orders", "guanxi")
    assert (summary.bad_rows, summary.counts.orders_created) == (3, 1)
    reasons = {(e.line, e.column): e.reason for e in summary.first_errors}
    assert "negative" in reasons[(3, "quantity")]
    assert "differs from line 2" in reasons[(4, "total")]
    assert "another row of order 'o0' is bad (line 3)" in reasons[(2, "")]


def test_gbk_customers_and_utf8_bom_orders(runtime, tmp_path):
    rows = [{"phone": "13900139000", "name": "張偉", "city": "廣州", "tags": "会员；老客"},
            {"email": "wang@example.cn", "name": "王芳", "city": "北京"}]
    gbk = write_csv(tmp_path / "gbk.csv", CUSTOMER_HEADER, rows, encoding="gb18030")
    summary = do_import(runtime, gbk, "customers", "guanxi")
    assert (summary.encoding, summary.counts.customers_created, summary.bad_rows) == ("gb18030", 2, 0)
    p = profile(runtime, "13900139000")
    assert (p["name"], p["city"], sorted(p["tags"])) == ("張偉", "廣州", ["会员", "老客"])

    orders = one_line_orders(3)
    orders[0]["customer_email"] = "wang@example.cn"
    orders[0]["product_name"] = "绿茶 Green tea"
    bom = write_csv(tmp_path / "bom.csv", ORDER_HEADER, orders, encoding="utf-8-sig")
    summary = do_import(runtime, bom, "orders", "guanxi")
    assert (summary.encoding, summary.counts.orders_created, summary.bad_rows) == ("utf-8-sig", 3, 0)
    assert profile(runtime, "wang@example.cn")["orders_count"] == 1
    with runtime.factory() as s:
        assert s.scalar(select(OrderLine.name).where(OrderLine.sku == "SKU-0")) == "绿茶 Green tea"


def test_dry_run_writes_nothing(runtime, tmp_path):
    rows = one_line_orders(12)
    rows[3]["quantity"] = "-1"
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows)
    before = snapshot(runtime)
    dry = do_import(runtime, path, "orders", "guanxi", dry_run=True)
    assert (dry.rows, dry.bad_rows, dry.counts.orders_created, dry.counts.order_lines) == (12, 1, 11, 11)
    assert snapshot(runtime) == before
    do_import(runtime, path, "orders", "guanxi")
    assert do_import(runtime, path, "orders", "guanxi", dry_run=True).counts.orders_known == 11

    customers = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, people(5))
    before = snapshot(runtime)
    dry = do_import(runtime, customers, "customers", "guanxi", dry_run=True)
    assert (dry.counts.customers_created, dry.counts.customers_known) == (1, 4)  # buyer3 had only a bad order
    assert snapshot(runtime) == before


SHOPIFY_CUSTOMERS = [
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,"
    "Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,"
    "Total Spent,Total Orders,Note,Tax Exempt,Tags",
    "'7214394605846,Na,Li,li.na@example.com,yes,,88 Nanjing Rd,,Shanghai,SH,CN,200001,,'+8613800138000,no,"
    "258.00,1,,no,\"vip, beauty\"",
    "'7214394605847,伟,张,zhang.wei@example.cn,no,,,,Guangzhou,GD,CN,,+8613900139000,,,0.00,0,,no,",
    "'7214394605848,Bad,Mail,not-an-email,yes,,,,,,,,,,,0.00,0,,no,",
]
SHOPIFY_ORDERS = [
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,"
    "Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,"
    "Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,"
    "Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Phone,Cancelled at,Refunded Amount,Id",
    "#1001,li.na@example.com,paid,2026-11-11 10:05:00 +0800,fulfilled,,yes,CNY,258.00,10.00,0.00,258.00,"
    "DOUBLE11,10.00,Standard,2026-11-11 10:00:00 +0800,2,口红 Lipstick,129.00,,LIP-01,true,true,fulfilled,"
    "Li Na,,,0.00,5001",
    "#1001,li.na@example.com,,,,,,,,,,,,,,,1,Gift bag,0.00,,,true,true,fulfilled,,,,,",
    "#1002,,partially_refunded,2026-11-12 09:00:00 +0800,,,no,CNY,100.00,0.00,0.00,100.00,,0.00,,"
    "2026-11-12 09:00:00 +0800,1,面膜 Mask,100.00,,MASK-02,true,true,,王芳,+8613700137000,,40.00,5002",
    "#1003,x@example.com,paid,,,,,CNY,10.00,0.00,0.00,10.00,,0.00,,2026-11-13 09:00:00 +0800,-1,Broken,10.00,,"
    "B-1,true,true,,,,,,5003",
]


def test_shopify_customers_and_orders(runtime, tmp_path):
    customers = tmp_path / "customers_export.csv"
    customers.write_text("\n".join(SHOPIFY_CUSTOMERS) + "\n", encoding="utf-8")
    summary = do_import(runtime, customers, "customers", "shopify")
    assert (summary.rows, summary.counts.customers_created, summary.bad_rows) == (3, 2, 1)
    assert (summary.first_errors[0].line, summary.first_errors[0].column) == (4, "Email")
    p = profile(runtime, "li.na@example.com")
    assert (p["name"], p["city"], p["region"], sorted(p["tags"])) == ("Na Li", "Shanghai", "SH", ["beauty", "vip"])
    assert p["address"] == "88 Nanjing Rd, Shanghai, SH, 200001, CN"
    assert {(i["kind"], i["value"]) for i in p["identities"]} == {
        ("shopify_id", "7214394605846"), ("email", "li.na@example.com"), ("phone", "+8613800138000")}
    consent = {(c["channel"], c["granted"]) for c in p["consents"]}
    assert consent == {("email", True), ("sms", False)}
    assert profile(runtime, "zhang.wei@example.cn")["name"] == "张伟"

    orders = tmp_path / "orders_export.csv"
    orders.write_text("\n".join(SHOPIFY_ORDERS) + "\n", encoding="utf-8")
    summary = do_import(runtime, orders, "orders", "shopify")
    assert (summary.rows, summary.bad_rows, summary.counts.orders_created, summary.counts.order_lines) == (4, 1, 2, 3)
    assert (summary.counts.customers_created, summary.counts.refunds_recorded) == (1, 1)
    assert summary.first_errors[0].column == "Lineitem quantity"
    with runtime.factory() as s:
        o = {x.external_id: x for x in s.scalars(select(Order).where(Order.source == "shopify"))}
    assert set(o) == {"5001", "5002"}
    assert (o["5001"].total_minor, o["5001"].discount_minor, o["5001"].shipping_minor, o["5001"].status) == (
        25800, 1000, 1000, "paid")
    assert (o["5002"].status, o["5002"].refunded_minor) == ("partially_refunded", 4000)
    li = profile(runtime, "li.na@example.com")
    assert (li["orders_count"], li["orders_total_minor"]) == (1, 25800)
    assert profile(runtime, "+8613700137000")["name"] == "王芳"

    before = snapshot(runtime)
    do_import(runtime, orders, "orders", "shopify")
    do_import(runtime, customers, "customers", "shopify")
    assert snapshot(runtime) == before


def test_a_row_reports_all_its_bad_cells(runtime, tmp_path):
    rows = [{"email": "bad@@example", "gender": "x", "birthday": "1990-02-30", "city": "上" * 101},
            {"email": "ok@example.com"}]
    summary = do_import(runtime, write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows), "customers", "guanxi")
    assert (summary.bad_rows, summary.counts.customers_created) == (1, 1)
    assert sorted(e.column for e in summary.first_errors) == ["birthday", "city", "email", "gender"]
    assert {e.line for e in summary.first_errors} == {2}
