"""The site tracking snippet's public intake, on SQLite and PostgreSQL: events reach the funnel,
repeats are stored once, bad requests are refused with a reason, floods get 429."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from guanxi.analytics.site_tracking import site_key
from guanxi.customers.models import CustomerEvent
from guanxi.db import transaction
from guanxi.runtime import build_runtime

SHOP = "http://shop.test:8080"


@pytest.fixture
def tracked(settings):
    """(client, runtime) of an app that lets SHOP send events; limits per test via make(**changes)."""
    made = []

    def make(**changes):
        from guanxi.app import create_app

        rt = build_runtime(settings.model_copy(update={"tracking_origins": [SHOP], **changes}))
        client = TestClient(create_app(runtime=rt), raise_server_exceptions=False)
        made.append((client, rt))
        return client, rt

    yield make
    for client, rt in made:
        client.close()
        rt.dispose()


def batch(rt, *events, visitor="visitor-0001", **extra) -> str:
    body = {"site": site_key(rt.secrets.session_secret), "visitor": visitor,
            "events": [{"id": f"ev-{visitor}-{i:04d}", "name": name, "path": "/p/tea", **more}
                       for i, (name, more) in enumerate(events)], **extra}
    return json.dumps(body)


def post(client, body, origin=SHOP, content_type="text/plain;charset=UTF-8"):
    headers = {"Content-Type": content_type, **({"Origin": origin} if origin else {})}
    return client.post("/t/events", content=body, headers=headers)


def stored_events(rt) -> list[tuple]:
    with transaction(rt.factory) as session:
        return session.execute(select(CustomerEvent.customer_id, CustomerEvent.kind, CustomerEvent.properties)
                               .where(CustomerEvent.source == "site").order_by(CustomerEvent.id)).all()


def funnel_steps(client, auth_headers) -> dict:
    got = client.get("/api/v1/analytics/funnel", headers=auth_headers)
    assert got.status_code == 200, got.text
    return {s["step"]: s["customers"] for s in got.json()["steps"]} | {"channels": [c["channel"] for c in got.json()["channels"]]}


def test_the_snippet_is_served_at_a_stable_address(tracked):
    client, _ = tracked()
    got = client.get("/t/guanxi.js")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/javascript")
    assert "sendBeacon" in got.text and 'new URL("events", script.src)' in got.text


def test_events_reach_the_funnel_and_a_repeat_is_stored_once(tracked, auth):
    client, rt = tracked()
    body = batch(rt, ("page_view", {}), ("view_item", {"item": "TEA-9"}), ("add_to_cart", {"item": "TEA-9"}))
    first = post(client, body)
    assert first.status_code == 202, first.text
    assert first.json() == {"stored": 3, "known": 0}
    assert first.headers["access-control-allow-origin"] == SHOP
    again = post(client, body)  # a retried beacon
    assert again.status_code == 202 and again.json() == {"stored": 0, "known": 3}
    rows = stored_events(rt)
    assert [kind for _, kind, _ in rows] == ["page_view", "product_view", "add_to_cart"]
    assert rows[1][2] == {"channel": "site", "site_event": "view_item", "path": "/p/tea", "item": "TEA-9"}
    headers = auth()
    assert funnel_steps(client, headers) == {"viewed": 1, "carted": 1, "ordered": 0, "channels": ["site"]}

    bought = post(client, batch(rt, ("purchase", {"order": "1001", "value_minor": 12800, "currency": "CNY"}),
                                visitor="visitor-0001", customer="shop-42").replace("ev-visitor-0001-0000", "purchase-1001"))
    assert bought.status_code == 202 and bought.json()["stored"] == 1
    assert funnel_steps(client, headers) == {"viewed": 1, "carted": 1, "ordered": 1, "channels": ["site"]}
    # The shop's customer id joins visitors: another device of shop-42 is the same customer.
    post(client, batch(rt, ("page_view", {}), visitor="other-device-77", customer="shop-42"))
    assert len({cid for cid, _, _ in stored_events(rt)}) == 1


def test_guanxi_itself_and_non_browser_clients_may_post_but_other_origins_not(tracked):
    client, rt = tracked()
    assert post(client, batch(rt, ("page_view", {})), origin="http://testserver").status_code == 202
    assert post(client, batch(rt, ("page_view", {}), visitor="curl-visitor"), origin=None).status_code == 202
    refused = post(client, batch(rt, ("page_view", {}), visitor="evil-visitor"), origin="https://evil.test")
    assert refused.status_code == 403 and "GUANXI_TRACKING_ORIGINS" in refused.json()["detail"]
    assert "access-control-allow-origin" not in refused.headers
    ok = client.options("/t/events", headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == SHOP
    assert "Content-Type" in ok.headers["access-control-allow-headers"]
    assert client.options("/t/events", headers={"Origin": "https://evil.test"}).status_code == 403
    assert len(stored_events(rt)) == 2


@pytest.mark.parametrize("mutate, status, where", [
    (lambda b: "{not json", 400, None),
    (lambda b: json.dumps({**json.loads(b), "site": "gx_000000000000000000000000"}), 403, "site"),
    (lambda b: json.dumps({**json.loads(b), "extra": 1}), 422, "extra"),
    (lambda b: json.dumps({**json.loads(b), "visitor": "a b"}), 422, "visitor"),
    (lambda b: json.dumps({**json.loads(b), "events": []}), 422, "events"),
    (lambda b: json.dumps({**json.loads(b), "events": json.loads(b)["events"] * 21}), 422, "events"),
    (lambda b: b.replace('"page_view"', '"checkout"'), 422, "events.0.name"),
    (lambda b: b.replace('"/p/tea"', '"https://shop.test/p"'), 422, "events.0.path"),
    (lambda b: json.dumps({**json.loads(b), "events": [{**json.loads(b)["events"][0], "value_minor": -1}]}), 422,
     "events.0.value_minor"),
])
def test_bad_requests_are_refused_with_a_reason_and_store_nothing(tracked, mutate, status, where):
    client, rt = tracked()
    got = post(client, mutate(batch(rt, ("page_view", {}), ("add_to_cart", {}))))
    assert got.status_code == status, got.text
    problem = got.json()
    assert problem["detail"] and got.headers["content-type"].startswith("application/problem+json")
    assert got.headers["access-control-allow-origin"] == SHOP  # the snippet can read why
    if where:
        assert where in problem["detail"] or any(".".join(map(str, e["loc"])) == where for e in problem["errors"])
    assert stored_events(rt) == []


def test_a_body_over_the_size_limit_is_refused(tracked):
    client, rt = tracked(tracking_body_bytes=1024)
    body = batch(rt, *[("page_view", {"item": "x" * 100})] * 10)
    got = post(client, body)
    assert got.status_code == 413 and "1024 bytes" in got.json()["detail"]
    assert stored_events(rt) == []


def test_floods_get_429_with_retry_after_per_address_and_per_site_key(tracked):
    client, rt = tracked(tracking_address_per_minute=3)
    answers = [post(client, batch(rt, ("page_view", {}), visitor=f"visitor-{i:04d}")) for i in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[3].headers["retry-after"] == "60" and "address" in answers[3].json()["detail"]
    assert answers[3].headers["access-control-allow-origin"] == SHOP
    assert len(stored_events(rt)) == 3

    client, rt = tracked(tracking_site_per_minute=2)
    answers = [post(client, batch(rt, ("page_view", {}), visitor=f"visitor-{i:04d}")) for i in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].headers["retry-after"] == "60" and "site key" in answers[2].json()["detail"]


def test_configured_origins_are_normalised_and_bad_ones_refused_at_start():
    from pydantic import ValidationError

    from guanxi.config import Settings

    assert Settings(_env_file=None, tracking_origins=["https://Shop.Example:443/", "http://127.0.0.1:8080"]
                    ).tracking_origins == ["https://shop.example", "http://127.0.0.1:8080"]
    with pytest.raises(ValidationError, match="GUANXI_TRACKING_ORIGINS: 'shop.example' is not an http"):
        Settings(_env_file=None, tracking_origins=["shop.example"])
