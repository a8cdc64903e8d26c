"""Conversation fixtures: settings with the inbox always open (or closed), customers, agents."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from guanxi.conversations.settings import ConversationSettings


@pytest.fixture
def conv_cfg() -> ConversationSettings:
    """Open around the clock, so no away message gets in the way unless a test asks for it."""
    return ConversationSettings(_env_file=None, opens=dt.time(0), closes=dt.time(23, 59, 59), calendar="none",
                                wechat_token="wx-token", weibo_secret="weibo-secret", douyin_secret="douyin-secret",
                                callcentre_secret="cc-secret")


@pytest.fixture
def make_customer(client, auth):
    """make_customer(tags=[...], order=True) -> (customer id, email, order id or None), through the API."""

    def make(tags: list[str] | None = None, order: bool = False, days_ago: int = 1, email: str | None = None):
        headers = auth("admin")
        email = email or f"c-{uuid.uuid4().hex[:8]}@example.com"
        reply = client.post("/api/v1/customers", json={"email": email, "name": "李雷", "tags": tags or []},
                            headers=headers)
        assert reply.status_code in (200, 201), reply.text
        order_id = None
        if order:
            body = {"source": "site", "external_id": f"o-{uuid.uuid4().hex[:8]}", "customer": {"email": email},
                    "placed_at": (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).isoformat(),
                    "currency": "CNY", "total_minor": 19900,
                    "lines": [{"sku": "TEA-1", "name": "Tea", "quantity": 1, "unit_price_minor": 19900}]}
            r = client.post("/api/v1/orders", json=body, headers=headers)
            assert r.status_code in (200, 201), r.text
            order_id = r.json()["id"]
        return reply.json()["id"], email, order_id

    return make
