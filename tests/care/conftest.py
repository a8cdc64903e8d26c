"""Care fixtures: customers with consents, loopback SMTP and HTTP servers, care settings pointing at them."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from guanxi.care.settings import CareSettings
from guanxi.customers import consents, normalise, profiles
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.db import transaction

from .servers import HttpRecorder, SmtpSink

_seq = itertools.count(1)


@pytest.fixture
def smtp(runtime, monkeypatch):
    sink = SmtpSink().start()
    monkeypatch.setattr(runtime.settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(runtime.settings, "smtp_port", sink.port)
    yield sink
    sink.stop()


@pytest.fixture
def http_sink():
    recorder = HttpRecorder().start()
    yield recorder
    recorder.stop()


@pytest.fixture
def care_settings(http_sink) -> CareSettings:
    return CareSettings(_env_file=None, quiet_hours="00:00-00:00", caps="", backoff_seconds=1,
                        sms_url=http_sink.url, sms_key="k", wechat_url=http_sink.url, wechat_access_token="tok",
                        webhook_url=f"{http_sink.url}/hook", webhook_secret="hook-secret",
                        public_url="https://shop.example")


@pytest.fixture
def person(runtime):
    """person(name=..., email=..., phone=..., birthday=..., timezone=..., consent=("email", ...)) -> customer id"""

    def make(name: str = "王小明", *, email: str | None = None, phone: str | None = None, openid: str | None = None,
             birthday: str | None = None, timezone: str = "Asia/Shanghai", locale: str = "zh-CN",
             consent: tuple[str, ...] = ("email", "sms", "wechat", "any"), tags: list[str] | None = None) -> int:
        n = next(_seq)
        email = email or f"p{n}@care.example"
        idents = [IdentityKey("email", "", normalise.email(email))]
        if phone:
            idents.append(IdentityKey("phone", "", normalise.phone(phone)))
        if openid:
            idents.append(IdentityKey("wechat_openid", "", openid))
        with transaction(runtime.factory) as session:
            cid, _ = profiles.upsert_customer(session, runtime.cipher, PersonIn(
                identities=idents, name=name, birthday=normalise.birthday(birthday) if birthday else None,
                timezone=timezone, locale=locale, tags=tags))
            for channel in consent:
                consents.set_consent(session, cid, channel, "marketing", True, source="test")
        return cid

    return make


@pytest.fixture
def order(runtime):
    """order(email, placed_at, total_minor=..., external_id=...) -> order id"""

    def make(email: str, placed_at: dt.datetime, total_minor: int = 10000, external_id: str | None = None) -> int:
        ext = external_id or f"O{next(_seq)}"
        with transaction(runtime.factory) as session:
            [result] = ingest_orders(session, runtime.cipher, [OrderIn(
                source="shop", external_id=ext, person=PersonIn(identities=[IdentityKey("email", "", email)]),
                placed_at=placed_at, currency="CNY", total_minor=total_minor,
                lines=[LineIn(sku="TEA-01", quantity=1, unit_price_minor=total_minor)])])
        return result.id

    return make
