"""CSRF: every unsafe request from the UI needs the token tied to its session."""

from __future__ import annotations

from .forms import PASSWORD, csrf_of


def test_sign_in_without_or_with_a_wrong_token_is_refused(client, make_staff):
    email = make_staff("admin")
    client.get("/signin")
    for data in ({}, {"csrf_token": "0" * 48}):
        reply = client.post("/signin", data={"email": email, "password": PASSWORD, **data}, follow_redirects=False)
        assert reply.status_code == 403
        assert "did not come from this site" in reply.text
        assert "guanxi_session" not in reply.headers.get("set-cookie", "")


def test_a_token_from_another_session_is_refused(client, staff_client, seed_customer, app):
    from fastapi.testclient import TestClient

    customer_id = seed_customer()
    signed_in = staff_client("admin")
    with TestClient(app) as other:
        other.get("/signin")
        foreign = csrf_of(other.get("/signin").text)
    reply = signed_in.post(f"/customers/{customer_id}/notes", data={"body": "hi", "csrf_token": foreign})
    assert reply.status_code == 403
    good = csrf_of(signed_in.get(f"/customers/{customer_id}").text)
    assert signed_in.post(f"/customers/{customer_id}/notes", data={"body": "hi", "csrf_token": good},
                          follow_redirects=False).status_code == 303


def test_htmx_sends_the_token_as_a_header(staff_client, seed_customer):
    client = staff_client("admin")
    customer_id = seed_customer()
    token = csrf_of(client.get(f"/customers/{customer_id}").text)
    no_token = client.post(f"/customers/{customer_id}/tags", data={"tag": "x"}, headers={"HX-Request": "true"})
    assert no_token.status_code == 403
    reply = client.post(f"/customers/{customer_id}/tags", data={"tag": "spring"},
                        headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert reply.status_code == 200 and "spring" in reply.text


def test_token_changes_with_each_sign_in(client, make_staff):
    email = make_staff("admin")
    from .forms import sign_in

    sign_in(client, email)
    first = csrf_of(client.get("/account").text)
    client.cookies.clear()
    sign_in(client, email)
    assert csrf_of(client.get("/account").text) != first


def test_cookie_authenticated_api_writes_need_the_token(staff_client, auth):
    client = staff_client("admin")
    body = {"email": "csrf@example.com", "name": "Zhang San"}
    refused = client.post("/api/v1/customers", json=body)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    token = csrf_of(client.get("/account").text)
    assert client.post("/api/v1/customers", json=body, headers={"X-CSRF-Token": token}).status_code == 201
    # A bearer token is not a browser session: no CSRF token needed.
    assert client.post("/api/v1/customers", json=body, headers=auth("admin")).status_code == 200
    # Reads are never checked.
    assert client.get("/api/v1/auth/me").status_code == 200
