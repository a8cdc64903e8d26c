"""Fixtures for the web pages: staff users, signing in through the form, a seeded customer."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from guanxi.db import transaction
from guanxi.staff import service as staff_service

from .forms import PASSWORD, sign_in


@pytest.fixture
def make_staff(runtime):
    """make_staff(role, locale) -> e-mail of a new staff user with PASSWORD."""

    def make(role: str = "admin", locale: str = "en") -> str:
        email = f"{role}-{uuid.uuid4().hex[:6]}@shop.example"
        with transaction(runtime.factory) as session:
            staff_service.create_user(session, email=email, password=PASSWORD, role=role, locale=locale)
        return email

    return make


@pytest.fixture
def staff_client(client, make_staff):
    """staff_client(role) -> the test client, signed in through the form as a new user of that role."""

    def signed_in(role: str = "admin", locale: str = "en"):
        email = make_staff(role, locale)
        reply = sign_in(client, email)
        assert reply.status_code == 303, reply.text
        client.staff_email = email
        return client

    return signed_in


@pytest.fixture
def seed_customer(client, auth):
    """seed_customer(**fields) -> id of a customer made through the API, with one order."""

    def seed(email: str | None = None, phone: str = "+8613800138000", name: str = "Li Lei", orders: int = 1,
             **fields) -> int:
        headers = auth("admin")
        email = email or f"li-{uuid.uuid4().hex[:6]}@example.com"
        body = {"email": email, "phone": phone, "name": name, "city": "Hangzhou", "acquisition_channel": "wechat",
                "tags": ["vip"], **fields}
        reply = client.post("/api/v1/customers", json=body, headers=headers)
        assert reply.status_code in (200, 201), reply.text
        customer_id = reply.json()["id"]
        for n in range(orders):
            order = {"source": "site", "external_id": f"o-{uuid.uuid4().hex[:8]}", "customer": {"email": email},
                     "placed_at": (dt.datetime.now(dt.UTC) - dt.timedelta(days=3 + 40 * n)).isoformat(),
                     "currency": "CNY", "total_minor": 123450}
            assert client.post("/api/v1/orders", json=order, headers=headers).status_code in (200, 201)
        return customer_id

    return seed


@pytest.fixture
def client(app):
    """The test client as an English-speaking browser (the shop's default locale is zh-CN)."""
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "en"}) as c:
        yield c
