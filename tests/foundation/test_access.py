"""Roles against endpoints, token revocation and expiry, and lockout after repeated bad passwords."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import update

from guanxi.db import transaction, utcnow
from guanxi.errors import Locked
from guanxi.staff import service
from guanxi.staff.models import ApiToken
from guanxi.staff.roles import Role

ALL = frozenset(Role)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# (method, path, body factory taking the actor's role, roles allowed). Add rows as endpoints land;
# a role not listed must get 403. Bodies are valid, so an allowed role gets a 2xx.
MATRIX = [
    ("GET", "/api/v1/auth/me", None, ALL),
    ("GET", "/api/v1/audit", None, {Role.admin}),
    ("GET", "/api/v1/alerts", None, {Role.admin}),
    ("GET", "/api/v1/tokens", None, {Role.admin, Role.tech}),
    # A role may mint tokens of its own role (never a stronger one: see test_token_cannot_exceed_its_creator).
    ("POST", "/api/v1/tokens", lambda role: {"name": _unique("t"), "role": role.value}, {Role.admin, Role.tech}),
    ("GET", "/api/v1/staff", None, {Role.admin}),
    ("POST", "/api/v1/staff",
     lambda role: {"email": f"{_unique('s')}@shop.example", "password": "long-enough-pw", "role": "content"},
     {Role.admin}),
]


@pytest.mark.parametrize("method,path,body,allowed", MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_role_matrix(client, make_token, method, path, body, allowed):
    for role in Role:
        headers = {"Authorization": f"Bearer {make_token(role.value)}"}
        reply = client.request(method, path, headers=headers, json=body(role) if body else None)
        if role in allowed:
            assert 200 <= reply.status_code < 300, f"{role} on {method} {path}: {reply.status_code} {reply.text}"
        else:
            assert reply.status_code == 403, f"{role} on {method} {path}: {reply.status_code} {reply.text}"
            assert reply.headers["content-type"] == "application/problem+json"
            assert role.value in reply.json()["detail"]


def test_no_token_and_bad_token_are_401(client):
    assert client.get("/api/v1/auth/me").status_code == 401
    reply = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer gx_not-a-real-token"})
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"


def test_me_reports_role_and_permissions(client, make_token):
    token = make_token("analyst", name="bi-tool")
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["kind"] == "token" and me["name"] == "bi-tool" and me["role"] == "analyst"
    assert "customers.read_pii" not in me["permissions"]
    assert "analytics.read" in me["permissions"]


@pytest.mark.parametrize("stronger", ["admin", "service", "analyst"])
def test_token_cannot_exceed_its_creator(client, auth, stronger):
    """tech manages tokens but reads no personal data: it must not mint a token that can."""
    reply = client.post("/api/v1/tokens", headers=auth("tech"), json={"name": _unique("x"), "role": stronger})
    assert reply.status_code == 403, reply.text
    assert reply.json()["status"] == 403


def test_revoked_token_fails_at_once_via_api(client, auth, make_token):
    token = make_token("tech", name="erp")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tokens", headers=headers).status_code == 200
    assert client.delete("/api/v1/tokens/erp", headers=auth("admin")).status_code == 204
    reply = client.get("/api/v1/tokens", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/problem+json"


def test_revoked_token_fails_at_once_via_service(client, runtime, make_token):
    token = make_token("admin", name="script")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/audit", headers=headers).status_code == 200
    with transaction(runtime.factory) as session:
        service.revoke_token(session, "script")
    assert client.get("/api/v1/audit", headers=headers).status_code == 401


def _staff(runtime, role: str = "service", password: str = "correct-horse-1") -> str:
    email = f"{_unique('li')}@shop.example"
    with transaction(runtime.factory) as session:
        service.create_user(session, email=email, password=password, role=role)
    return email


def test_login_session_and_expiry(client, runtime):
    email = _staff(runtime, role="service")
    reply = client.post("/api/v1/auth/login", json={"email": email, "password": "correct-horse-1"})
    assert reply.status_code == 200, reply.text
    token = reply.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me == {**me, "kind": "user", "name": email, "role": "service"}

    with transaction(runtime.factory) as session:  # the session ran out a second ago
        session.execute(update(ApiToken).where(ApiToken.user_id.is_not(None))
                        .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_logout_ends_the_session(client, runtime):
    email = _staff(runtime)
    token = client.post("/api/v1/auth/login", json={"email": email, "password": "correct-horse-1"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_disabled_user_loses_access(client, runtime):
    email = _staff(runtime)
    token = client.post("/api/v1/auth/login", json={"email": email, "password": "correct-horse-1"}).json()["token"]
    with transaction(runtime.factory) as session:
        service.disable_user(session, email)
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    reply = client.post("/api/v1/auth/login", json={"email": email, "password": "correct-horse-1"})
    assert reply.status_code == 401


def test_lockout_after_repeated_bad_passwords(client, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "login_max_failures", 3)
    monkeypatch.setattr(runtime.settings, "login_lockout_minutes", 15)
    email = _staff(runtime)

    for _ in range(3):
        reply = client.post("/api/v1/auth/login", json={"email": email, "password": "wrong-password"})
        assert reply.status_code == 401, reply.text

    for password in ("wrong-password", "correct-horse-1"):  # locked even with the right password
        reply = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert reply.status_code == 423, reply.text
        assert reply.headers["content-type"] == "application/problem+json"
        detail = reply.json()["detail"]
        assert "locked" in detail and "15 more minute" in detail

    lockout = dt.timedelta(minutes=15)
    with transaction(runtime.factory) as session:
        with pytest.raises(Locked):  # a minute before the end it is still locked
            service.authenticate(session, email, "correct-horse-1", max_failures=3, lockout=lockout,
                                 now=utcnow() + lockout - dt.timedelta(minutes=1))
    with transaction(runtime.factory) as session:
        user = service.authenticate(session, email, "correct-horse-1", max_failures=3, lockout=lockout,
                                    now=utcnow() + lockout + dt.timedelta(seconds=1))
        assert user.email == email and user.locked_until is None and user.failed_logins == 0


def test_a_good_sign_in_resets_the_failure_count(client, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "login_max_failures", 3)
    email = _staff(runtime)
    for _ in range(2):
        assert client.post("/api/v1/auth/login", json={"email": email, "password": "nope-nope"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": email, "password": "correct-horse-1"}).status_code == 200
    for _ in range(2):
        assert client.post("/api/v1/auth/login", json={"email": email, "password": "nope-nope"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": email, "password": "correct-horse-1"}).status_code == 200


def test_unknown_email_is_a_plain_401(client):
    reply = client.post("/api/v1/auth/login", json={"email": "nobody@shop.example", "password": "whatever-pw"})
    assert reply.status_code == 401
    assert reply.json()["detail"] == "wrong e-mail or password"
