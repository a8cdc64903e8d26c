"""A role manages only tokens within its own powers; every reply carries a request id."""


def test_tech_cannot_revoke_an_admin_token_but_can_revoke_its_own_kind(client, auth, make_token):
    make_token("admin", name="owner")
    make_token("tech", name="erp")
    tech = auth("tech")
    refused = client.delete("/api/v1/tokens/owner", headers=tech)
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    assert client.delete("/api/v1/tokens/erp", headers=tech).status_code == 204
    assert client.delete("/api/v1/tokens/nobody", headers=tech).status_code == 404


def test_too_large_body_still_has_a_request_id(client, auth):
    reply = client.post("/api/v1/orders", content=b"x" * (5 * 1024 * 1024 + 1),
                        headers={**auth("tech"), "Content-Type": "application/json"})
    assert reply.status_code == 413
    assert reply.headers.get("x-request-id")
