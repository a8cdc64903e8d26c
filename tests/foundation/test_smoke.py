def test_healthz_and_readyz(client):
    assert client.get("/healthz").json()["status"] == "ok"
    reply = client.get("/readyz")
    assert reply.status_code == 200, reply.text
    assert reply.json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_audit_requires_token(client, auth):
    reply = client.get("/api/v1/audit")
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/audit", headers=auth("admin")).status_code == 200
