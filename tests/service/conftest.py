"""Service-desk fixtures: its settings, customers with orders, teams with agents."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from guanxi.db import transaction
from guanxi.service import teams
from guanxi.service.settings import ServiceSettings


@pytest.fixture
def cfg() -> ServiceSettings:
    return ServiceSettings(_env_file=None)


@pytest.fixture
def customer(client, auth):
    """customer(tags=[...], delivered_days_ago=None) -> (customer id, order id, [line ids]) made through the API."""

    def make(tags: list[str] | None = None, delivered_days_ago: int | None = None, email: str | None = None):
        headers = auth("admin")
        email = email or f"c-{uuid.uuid4().hex[:8]}@example.com"
        reply = client.post("/api/v1/customers", json={"email": email, "name": "王芳", "tags": tags or []},
                            headers=headers)
        assert reply.status_code in (200, 201), reply.text
        cid = reply.json()["id"]
        order = {"source": "site", "external_id": f"o-{uuid.uuid4().hex[:8]}", "customer": {"email": email},
                 "placed_at": (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).isoformat(), "currency": "CNY",
                 "total_minor": 30000, "lines": [{"sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price_minor": 10000},
                                                 {"sku": "TEA-1", "name": "Tea", "quantity": 1, "unit_price_minor": 10000}]}
        reply = client.post("/api/v1/orders", json=order, headers=headers)
        assert reply.status_code in (200, 201), reply.text
        order_id = reply.json()["id"]
        if delivered_days_ago is not None:
            at = (dt.datetime.now(dt.UTC) - dt.timedelta(days=delivered_days_ago)).isoformat()
            r = client.post(f"/api/v1/orders/{order_id}/shipments", headers=headers,
                            json={"external_id": f"s-{order_id}", "status": "delivered", "delivered_at": at, "at": at})
            assert r.status_code in (200, 201), r.text
        from guanxi.customers.models import OrderLine
        from sqlalchemy import select

        with transaction(client.app.state.runtime.factory) as s:
            lines = list(s.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)))
        return cid, order_id, lines

    return make


@pytest.fixture
def desk(runtime):
    """A regular team of three agents (one logistics-only) and a VIP team of one."""
    with transaction(runtime.factory) as s:
        general = teams.create_team(s, "General", lead_email="lead@example.com")
        vip = teams.create_team(s, "VIP", vip=True)
        agents = [teams.add_agent(s, general.id, name, skills=skills).id for name, skills in
                  (("Ann", ["*"]), ("Bo", ["*"]), ("Cai", ["logistics"]))]
        vip_agent = teams.add_agent(s, vip.id, "Dee").id
        return {"general": general.id, "vip": vip.id, "agents": agents, "vip_agent": vip_agent}
