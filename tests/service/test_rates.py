"""Complaint and return rates per product, supplier, channel, segment and tier on SQLite and
PostgreSQL, on hand-built orders with the rates computed by hand (see the table in the test)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from guanxi.analytics.models import CustomerScore
from guanxi.customers.models import OrderLine, Product
from guanxi.db import transaction
from guanxi.loyalty.models import Tier, TierStatus


def _order(client, h, email, at, channel, skus):
    body = {"source": "site", "external_id": f"o-{uuid.uuid4().hex[:8]}", "customer": {"email": email},
            "placed_at": at, "currency": "CNY", "total_minor": 1000 * len(skus), "channel": channel,
            "lines": [{"sku": sku, "name": sku, "quantity": 1, "unit_price_minor": 1000} for sku in skus]}
    r = client.post("/api/v1/orders", json=body, headers=h)
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def _lines(runtime, order_id) -> dict[str, int]:
    with runtime.factory() as s:
        return dict(s.execute(select(OrderLine.sku, OrderLine.id).where(OrderLine.order_id == order_id)).all())


def _ticket(client, h, order_id, line_ids=(), source="api"):
    r = client.post("/api/v1/tickets", headers=h, json={"subject": "坏了", "body": "坏了", "order_id": order_id,
                                                         "order_line_ids": list(line_ids), "source": source,
                                                         **({"external_id": uuid.uuid4().hex} if source != "api" else {})})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _return(client, h, ticket_id, line_id, kind="return"):
    r = client.post(f"/api/v1/tickets/{ticket_id}/returns", headers=h,
                    json={"kind": kind, "order_line_id": line_id, "quantity": 1})
    assert r.status_code == 201, r.text


def test_rates_per_group_match_the_hand_computed_table(client, auth, runtime, desk):
    admin, h = auth("admin"), auth("service")
    a, b = "a@example.com", "b@example.com"
    ids = {}
    for email in (a, b):
        ids[email] = client.post("/api/v1/customers", json={"email": email}, headers=admin).json()["id"]
    with transaction(runtime.factory) as s:
        s.add_all([Product(sku="MUG-1", name="Mug", supplier="Jingdezhen Co"),
                   Product(sku="TEA-1", name="Tea", supplier="Anxi Tea")])          # SPOON-1 has no product row
        s.add(Tier(code="gold", name="Gold", rank=1))
        s.flush()
        s.add(TierStatus(customer_id=ids[a], tier_code="gold"))
        s.add(CustomerScore(customer_id=ids[a], segment="champions", lifecycle_stage="active", period="2026-11-30"))
    o1 = _order(client, admin, a, "2026-11-03T10:00:00+00:00", "wechat", ["MUG-1", "TEA-1"])
    o2 = _order(client, admin, a, "2026-11-10T10:00:00+00:00", "site", ["MUG-1"])
    o3 = _order(client, admin, b, "2026-11-12T10:00:00+00:00", "wechat", ["TEA-1", "SPOON-1"])
    o4 = _order(client, admin, b, "2026-10-12T10:00:00+00:00", "wechat", ["MUG-1"])        # before the range
    l1, l3, l4 = _lines(runtime, o1), _lines(runtime, o3), _lines(runtime, o4)
    t1 = _ticket(client, h, o1, [l1["MUG-1"]])           # names the mug only
    t2 = _ticket(client, h, o3)                          # the whole order
    _ticket(client, h, o2, source="survey")              # a survey follow-up: not a new complaint
    t4 = _ticket(client, h, o4)
    _return(client, h, t1, l1["MUG-1"])
    _return(client, h, t2, l3["TEA-1"], kind="exchange")  # an exchange is not a return
    _return(client, h, t2, l3["SPOON-1"])
    _return(client, h, t4, l4["MUG-1"])

    # Reviews, through the social domain's intake: one of the mug on o1 (negative), one of the tea on o1
    # (positive), one of o3 naming no product (negative, about both its lines), one of o4 (before the range)
    # and one of o2 later confirmed fake (left out). None demands a refund, so none opens a complaint ticket.
    reviews = [("rv1", o1, "MUG-1", "质量太差了，杯子裂了，很失望"), ("rv2", o1, "TEA-1", "茶很好喝，非常满意，会回购"),
               ("rv3", o3, None, "包装破损，很不满意，差评"), ("rv4", o4, "MUG-1", "太差了，差评"),
               ("rv5", o2, "MUG-1", "太差了，差评")]
    r = client.post("/api/v1/social/mentions", headers=auth("tech"), json={"mentions": [
        {"platform": "shop", "id": rid, "kind": "review", "text": text, "posted_at": "2026-11-20T10:00:00+00:00",
         "order_id": oid, **({"product_sku": sku} if sku else {})} for rid, oid, sku, text in reviews]})
    assert r.status_code in (200, 201), r.text
    fake = client.get("/api/v1/social/mentions", headers=admin, params={"platform": "shop"}).json()
    fake_id = next(m["id"] for m in (fake["items"] if isinstance(fake, dict) else fake) if m["external_id"] == "rv5")
    from guanxi.social.models import Mention
    with transaction(runtime.factory) as s:
        s.get(Mention, fake_id).flag_state = "confirmed"

    r = client.get("/api/v1/service/reports/rates", headers=h, params={"since": "2026-11-01", "until": "2026-11-30"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["orders"], data["lines"], data["complaints"]) == (3, 5, 2)
    assert (data["reviews"], data["negative_reviews"]) == (3, 2)
    reviews_of = {dim: {row["key"]: (row["reviews"], row["negative_reviews"], row["negative_review_rate"])
                        for row in data[dim]} for dim in ("product", "channel", "segment")}
    assert reviews_of["product"] == {"MUG-1": (1, 1, 1.0), "TEA-1": (2, 1, 0.5), "SPOON-1": (1, 1, 1.0)}
    assert reviews_of["channel"] == {"wechat": (3, 2, 0.6667), "site": (0, 0, None)}   # o2's review is fake
    assert reviews_of["segment"] == {"champions": (2, 1, 0.5), "—": (1, 1, 1.0)}

    def table(dim):
        return {row["key"]: (row["orders"], row["complaints"], row["complaint_rate"], row["lines"], row["returns"],
                             row["return_rate"]) for row in data[dim]}
    #             orders complaints rate  lines returns rate
    mug, tea, spoon = (2, 1, 0.5, 2, 1, 0.5), (2, 1, 0.5, 2, 0, 0.0), (1, 1, 1.0, 1, 1, 1.0)
    assert table("product") == {"MUG-1": mug, "TEA-1": tea, "SPOON-1": spoon}
    assert table("supplier") == {"Jingdezhen Co": mug, "Anxi Tea": tea, "—": spoon}
    assert table("channel") == {"wechat": (2, 2, 1.0, 4, 2, 0.5), "site": (1, 0, 0.0, 1, 0, 0.0)}
    a_row, b_row = (2, 1, 0.5, 3, 1, 0.3333), (1, 1, 1.0, 2, 1, 0.5)
    assert table("segment") == {"champions": a_row, "—": b_row}
    assert table("tier") == {"gold": a_row, "—": b_row}
    assert [row["key"] for row in data["product"]] == ["SPOON-1", "MUG-1", "TEA-1"]   # worst first


def test_rates_range_is_checked(client, auth):
    h = auth("service")
    r = client.get("/api/v1/service/reports/rates", headers=h, params={"since": "2026-12-01", "until": "2026-11-01"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    empty = client.get("/api/v1/service/reports/rates", headers=h).json()
    assert empty["orders"] == 0 and empty["product"] == []
    assert client.get("/api/v1/service/reports/rates", headers=auth("content")).status_code == 403
