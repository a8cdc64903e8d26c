"""Traits, prospect value, the funnel and the GA4 import on SQLite and PostgreSQL, through the API and CLI."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from guanxi.analytics.customer_traits import customer_traits
from guanxi.analytics.models import CustomerTraits
from guanxi.analytics.recompute import recompute
from guanxi.cli import _register, app
from guanxi.customers.events import EventIn, record_events
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.models import CustomerEvent
from guanxi.customers.records import LineIn, OrderIn
from guanxi.db import transaction
from tests.analytics.shop import AS_OF, TZ, person, seed_shop


def _local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TZ)


def _ready(runtime) -> dict[int, int]:
    """The demo shop plus: customer 1000 buys tea twice with discounts in the evening on "douyin";
    prospect 60 browses and carts on "site"; prospect 61 only browses."""
    ids = seed_shop(runtime)
    with transaction(runtime.factory) as session:
        r = ingest_orders(session, runtime.cipher, [OrderIn(
            source="shop", external_id=f"d{k}", person=person(1000), placed_at=_local(day, 21), currency="CNY",
            total_minor=8000, discount_minor=2000, channel="douyin",
            lines=[LineIn(sku="TEA-9", category="tea/white", quantity=2, unit_price_minor=4000)])
            for k, day in enumerate((dt.date(2026, 6, 1), dt.date(2026, 6, 15)))])
        ids[1000] = r[0].customer_id
        events = [EventIn(kind=k, occurred_at=_local(dt.date(2026, 6, d), 10), customer_id=ids[60], source="site",
                          external_id=f"e60-{k}-{d}") for d in (20, 25) for k in ("page_view", "add_to_cart")]
        events += [EventIn(kind="page_view", occurred_at=_local(dt.date(2026, 6, 20), 9), customer_id=ids[61],
                           source="site", external_id="e61"),
                   EventIn(kind="page_view", occurred_at=_local(dt.date(2026, 6, 14), 9), customer_id=ids[1000],
                           source="douyin", external_id="e1000"),
                   EventIn(kind="add_to_cart", occurred_at=_local(dt.date(2026, 6, 14), 21), customer_id=ids[1000],
                           source="douyin", external_id="e1000c")]
        record_events(session, runtime.cipher, events)
        recompute(session, runtime.settings, as_of=AS_OF)
    return ids


def test_recompute_stores_traits_prospect_value_and_growth(runtime, client, auth):
    ids = _ready(runtime)
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(CustomerTraits)) == len(ids)
        buyer = customer_traits(session, ids[1000])
        carted, browsed = customer_traits(session, ids[60]), customer_traits(session, ids[61])
    assert buyer["price_sensitivity"] == 1.0 and buyer["discount_share"] == 0.2
    assert buyer["favourite_categories"] == ["tea/white"] and buyer["rebuy_days"] == {"TEA-9": 14.0}
    assert buyer["preferred_channel"] == "douyin" and buyer["preferred_hour"] == 21
    assert buyer["p_first_order"] is None and buyer["growth_band"] in {"low", "medium", "high"}
    # Too little history for a fit: the fallback weights rank the cart above the page view.
    assert carted["p_first_order"] > browsed["p_first_order"] > 0
    assert carted["expected_first_order_minor"] > browsed["expected_first_order_minor"] > 0
    assert carted["preferred_channel"] == "site" and carted["preferred_hour"] == 10
    assert carted["growth_potential_minor"] is None and carted["price_sensitivity"] is None

    run = client.get("/api/v1/analytics/clv", headers=auth("analyst")).json()["traits"]
    assert run["model"] == "fallback" and run["weights"]["add_to_cart"] == 0.9 and run["prospects_scored"] == 2
    scores = client.get(f"/api/v1/customers/{ids[1000]}/scores", headers=auth("operations"))
    assert scores.status_code == 200, scores.text
    body = scores.json()
    assert body["clv_minor"] is not None and body["growth_potential_minor"] is not None
    assert body["price_sensitivity"] == 1.0 and body["traits_period"] == AS_OF.isoformat()
    assert client.get(f"/api/v1/customers/{ids[60]}/scores", headers=auth("analyst")).status_code == 403

    # Traits are segment fields: an outer join, so prospects (no price sensitivity) match no condition on it.
    h = auth("analyst")
    for rule, members in (({"field": "price_sensitivity", "op": ">=", "value": 1}, 1),
                          ({"field": "price_sensitivity", "op": "<", "value": 1}, len(ids) - 3),
                          ({"all": [{"field": "p_first_order", "op": ">", "value": 0},
                                    {"field": "preferred_channel", "op": "=", "value": "site"}]}, 2),
                          ({"field": "growth_band", "op": "in", "value": ["low", "medium", "high"]}, len(ids) - 2)):
        reply = client.post("/api/v1/segments/preview", json={"rule": rule}, headers=h)
        assert reply.status_code == 200, reply.text
        assert reply.json()["members"] == members, rule
    bad = client.post("/api/v1/segments/preview", json={"rule": {"field": "growth_band", "op": "=", "value": "x"}},
                      headers=h)
    assert bad.status_code == 422

    with transaction(runtime.factory) as session:  # a rerun of the day leaves the same rows
        before = customer_traits(session, ids[60])
        recompute(session, runtime.settings, as_of=AS_OF)
        assert customer_traits(session, ids[60]) == before


def test_funnel_api(runtime, client, auth):
    ids = _ready(runtime)
    h = auth("analyst")
    f = client.get("/api/v1/analytics/funnel", params={"from": "2026-06-01", "to": "2026-06-30"}, headers=h)
    assert f.status_code == 200, f.text
    f = f.json()
    # viewed: 60, 61 (site) and 1000 (douyin); carted: 60, 1000; ordered: 1000 (an order on 06-15)
    assert [s["customers"] for s in f["steps"]] == [3, 2, 1]
    assert f["overall_conversion"] == round(1 / 3, 4)
    by = {c["channel"]: [s["customers"] for s in c["steps"]] for c in f["channels"]}
    assert by == {"site": [2, 1, 0], "douyin": [1, 1, 1]}
    bad = client.get("/api/v1/analytics/funnel", params={"from": "2026-07-01", "to": "2026-06-01"}, headers=h)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/analytics/funnel", headers=auth("content")).status_code == 403


GA4 = "\n".join([
    json.dumps({"event_name": "page_view", "user_pseudo_id": "u1", "event_timestamp": "1780000000000000",
                "traffic_source": {"source": "google"}}),
    json.dumps({"event_name": "add_to_cart", "user_pseudo_id": "u1", "event_timestamp": "1780000060000000",
                "traffic_source": {"source": "google"}}),
    json.dumps({"event_name": "purchase", "user_pseudo_id": "u1", "event_timestamp": "1780000120000000",
                "ecommerce": {"transaction_id": "T1", "purchase_revenue": 88.0}}),
    json.dumps({"event_name": "session_start", "user_pseudo_id": "u1", "event_timestamp": "1780000000000000"}),
    json.dumps({"event_name": "page_view", "user_pseudo_id": "u2"}),
    "{not json",
    json.dumps({"event_name": "page_view", "user_pseudo_id": "u2", "event_timestamp": "yesterday"}),
])


def test_ga4_import_api_is_idempotent_and_reports_bad_lines(runtime, client, auth):
    h = auth("operations")
    r = client.post("/api/v1/analytics/events/ga4", json={"format": "jsonl", "content": GA4}, headers=h)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert (rep["rows"], rep["created"], rep["known"], rep["skipped"], rep["bad_rows"]) == (7, 3, 0, 1, 3)
    assert [e["line"] for e in rep["errors"]] == [5, 6, 7]
    assert "event_timestamp" in rep["errors"][0]["reason"] and "not JSON" in rep["errors"][1]["reason"]
    again = client.post("/api/v1/analytics/events/ga4", json={"format": "jsonl", "content": GA4}, headers=h).json()
    assert (again["created"], again["known"]) == (0, 3)
    with runtime.factory() as session:
        rows = session.execute(select(CustomerEvent.kind, CustomerEvent.customer_id, CustomerEvent.properties)
                               .where(CustomerEvent.source == "ga4").order_by(CustomerEvent.occurred_at)).all()
    assert [k for k, _, _ in rows] == ["page_view", "add_to_cart", "custom"]
    assert len({c for _, c, _ in rows}) == 1 and rows[0][2]["channel"] == "google"
    assert rows[2][2]["event"] == "purchase" and rows[2][2]["transaction_id"] == "T1"
    day = dt.datetime.fromtimestamp(1780000000, tz=TZ).date().isoformat()
    f = client.get("/api/v1/analytics/funnel", params={"from": day, "to": day}, headers=h).json()
    assert [s["customers"] for s in f["steps"]] == [1, 1, 1]
    assert client.post("/api/v1/analytics/events/ga4", json={"format": "jsonl", "content": GA4},
                       headers=auth("analyst")).status_code == 403
    empty = client.post("/api/v1/analytics/events/ga4", json={"format": "csv", "content": "event_name"}, headers=h)
    assert empty.status_code == 422


def test_ga4_import_cli_csv(runtime, tmp_path, monkeypatch):
    path = tmp_path / "ga4.csv"
    path.write_text("event_name,user_pseudo_id,event_timestamp,platform\n"
                    "page_view,u9,1780000000000000,WEB\n"
                    "view_item,u9,2026-06-01T10:00:00+08:00,WEB\n"
                    "add_to_cart,,1780000000000000,WEB\n", encoding="utf-8")
    _register()
    runner = CliRunner()
    out = runner.invoke(app, ["import", "events", str(path), "--format", "ga4", "--json"])
    assert out.exit_code == 0, out.output
    rep = json.loads(out.output)
    assert (rep["created"], rep["bad_rows"], rep["errors"][0]["line"]) == (2, 1, 4)
    assert "user_pseudo_id" in rep["errors"][0]["reason"]
    again = json.loads(runner.invoke(app, ["import", "events", str(path), "--format", "ga4", "--json"]).output)
    assert (again["created"], again["known"]) == (0, 2)


def test_export_carries_and_erasure_removes_the_traits(runtime):
    from guanxi.analytics import person_hooks  # noqa: F401  (registers the hooks)
    from guanxi.customers import privacy_hooks  # noqa: F401
    from guanxi.privacy import requests
    from guanxi.staff.roles import SYSTEM

    ids = _ready(runtime)
    person = ids[1000]
    with transaction(runtime.factory) as session:
        document = requests.export(session, runtime.cipher, person, SYSTEM)
    assert document["domains"]["analytics"]["traits"]["rebuy_days"] == {"TEA-9": 14.0}
    with transaction(runtime.factory) as session:
        requests.erase(session, runtime.cipher, person, SYSTEM)
    with runtime.factory() as session:
        assert session.get(CustomerTraits, person) is None
        assert session.get(CustomerTraits, ids[60]) is not None
