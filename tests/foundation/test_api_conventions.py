"""Bad input gets a 4xx problem+json naming the field, never a 500; every reply carries a request id."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"
ITEMS = "/api/v1/_probe/items"

# HTTP conventions do not depend on the database: SQLite alone keeps these fast.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _problem(reply, status: int) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    body = reply.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    assert body["status"] == status
    return body


def _locs(body: dict) -> list[list]:
    return [e["loc"] for e in body["errors"]]


def test_a_valid_strict_body_is_accepted(client, probe_routes):
    reply = client.post(ITEMS, json={"quantity": 2, "price": 3, "paid": True, "lines": [{"sku": "A", "quantity": 1}]})
    assert reply.status_code == 201, reply.text
    assert reply.json()["quantity"] == 2


def test_malformed_json(client, probe_routes):
    reply = client.post(ITEMS, content=b'{"quantity": 2,', headers={"content-type": "application/json"})
    body = _problem(reply, 422)
    assert body["errors"] and "malformed JSON" in body["errors"][0]["msg"]


@pytest.mark.parametrize("value", ["12abc", 1.5, "12", True, None, [1]])
def test_no_lax_coercion_into_an_int(client, probe_routes, value):
    body = _problem(client.post(ITEMS, json={"quantity": value}), 422)
    assert _locs(body) == [["body", "quantity"]]
    assert body["detail"].startswith("body.quantity:")


def test_nested_field_errors_name_the_path(client, probe_routes):
    reply = client.post(ITEMS, json={"quantity": 1, "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1.5}]})
    body = _problem(reply, 422)
    assert _locs(body) == [["body", "lines", 1, "quantity"]]


def test_unknown_fields_are_rejected(client, probe_routes):
    body = _problem(client.post(ITEMS, json={"quantity": 1, "colour": "red"}), 422)
    assert body["errors"] == [{"loc": ["body", "colour"], "msg": body["errors"][0]["msg"]}]
    assert "unknown field" in body["errors"][0]["msg"]


def test_real_endpoints_follow_the_same_rules(client, auth):
    headers = auth("admin")
    body = _problem(client.post("/api/v1/tokens", headers=headers, json={"name": "erp", "role": "tech", "scope": "*"}), 422)
    assert _locs(body) == [["body", "scope"]]
    body = _problem(client.post("/api/v1/tokens", headers=headers, json={"name": "erp", "role": "root"}), 422)
    assert _locs(body) == [["body", "role"]]
    body = _problem(client.post("/api/v1/tokens", headers=headers, json={"name": 7, "role": "tech"}), 422)
    assert _locs(body) == [["body", "name"]]
    for limit in ("12abc", "1.5", "0", "501"):
        body = _problem(client.get(f"/api/v1/audit?limit={limit}", headers=headers), 422)
        assert _locs(body) == [["query", "limit"]]
    body = _problem(client.get("/api/v1/audit?cursor=not-a-cursor", headers=headers), 422)
    assert _locs(body) == [["query", "cursor"]]


def test_body_over_5_mb_with_content_length(client, probe_routes):
    big = b" " * (5 * 1024 * 1024 + 1)
    reply = client.post(ITEMS, content=big, headers={"content-type": "application/json"})
    body = _problem(reply, 413)
    assert "5 MB" in body["detail"]


def test_body_over_5_mb_without_content_length(client, probe_routes):
    def chunks():
        for _ in range(6):
            yield b" " * (1024 * 1024)

    reply = client.post(ITEMS, content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in reply.request.headers  # sent chunked
    _problem(reply, 413)


def test_a_body_under_the_limit_is_read(client, probe_routes):
    reply = client.post(ITEMS, content=b'{"quantity": 1}' + b" " * (4 * 1024 * 1024),
                        headers={"content-type": "application/json"})
    assert reply.status_code == 201, reply.text


def test_unknown_route_and_wrong_method(client):
    body = _problem(client.get("/api/v1/no-such-thing"), 404)
    assert body["title"] == "Not Found"
    _problem(client.post("/api/v1/no-such-thing", json={}), 404)
    _problem(client.put("/api/v1/auth/me"), 405)


def test_request_id_is_echoed_or_made(client):
    reply = client.get("/api/v1/no-such-thing", headers={"X-Request-Id": "shop-req-42"})
    assert reply.headers["x-request-id"] == "shop-req-42"
    made = client.get("/healthz").headers["x-request-id"]
    assert made and made != client.get("/healthz").headers["x-request-id"]
    too_long = "x" * 200
    assert client.get("/healthz", headers={"X-Request-Id": too_long}).headers["x-request-id"] != too_long


def test_an_unexpected_error_is_a_500_problem_with_the_request_id(client, probe_routes):
    reply = client.get("/api/v1/_probe/boom", headers={"X-Request-Id": "boom-1"})
    body = _problem(reply, 500)
    assert reply.headers["x-request-id"] == "boom-1"
    assert "li.na@example.com" not in reply.text  # the exception text is logged, not sent


def test_openapi_and_docs(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/audit" in schema["paths"] and "/api/v1/tokens" in schema["paths"]
    assert client.get("/docs").status_code == 200
