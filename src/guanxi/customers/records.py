"""Plain values that enter the customers domain, already validated and normalised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IdentityKey:
    kind: str
    source: str
    value: str  # normalised


@dataclass
class PersonIn:
    identities: list[IdentityKey]
    name: str | None = None
    gender: str | None = None
    birthday: str | None = None  # normalised: YYYY-MM-DD or --MM-DD
    address: str | None = None
    region: str | None = None
    city: str | None = None
    locale: str | None = None
    timezone: str | None = None
    acquisition_channel: str | None = None
    acquired_at: dt.datetime | None = None
    tags: list[str] | None = None
    attributes: dict | None = None
    preferences: dict | None = None

    PROFILE_FIELDS = ("name", "gender", "birthday", "address", "region", "city", "locale", "timezone",
                      "acquisition_channel", "acquired_at", "tags", "attributes", "preferences")

    def given(self) -> dict:
        return {f: getattr(self, f) for f in self.PROFILE_FIELDS if getattr(self, f) is not None}


@dataclass
class LineIn:
    sku: str
    quantity: int
    unit_price_minor: int
    name: str = ""
    category: str | None = None


@dataclass
class OrderIn:
    source: str
    external_id: str
    person: PersonIn
    placed_at: dt.datetime
    currency: str
    total_minor: int
    status: str = "paid"
    discount_minor: int = 0
    shipping_minor: int = 0
    channel: str | None = None
    store: str | None = None
    live_session: str | None = None
    lines: list[LineIn] = field(default_factory=list)


@dataclass
class OrderResult:
    id: int
    customer_id: int
    created: bool
