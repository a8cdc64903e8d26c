"""Events from the shop's own site: the tracking snippet (/t/guanxi.js) posts them, this stores them.

The snippet names the shop by its public site key, derived from the instance's session secret
(stable across restarts, the same in every server process, nothing to store; it is not a secret:
it is printed in the shop's HTML). The visitor is an anonymous id the snippet keeps in a
first-party cookie and localStorage; when the shop passes its own customer id, that joins the
visitor to the customer (identity ("external", "shop", id)). Events land in customer events,
where the funnel reads them, mapped as the GA4 import maps them:

    page_view → page_view   view_item → product_view   add_to_cart → add_to_cart
    purchase → custom {"event": "purchase"}

Each event carries an id made by the snippet; (visitor, id) is the external id, so a batch
sent twice (a retried beacon) stores nothing new. Times are the server's receiving time: a
visitor's clock is not to be trusted, and the snippet sends as things happen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from guanxi.analytics.ga4_import import KIND_OF
from guanxi.customers.events import EventIn, record_events
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.privacy.crypto import PiiCipher

SOURCE = "site"
CHANNEL = "site"
SHOP_IDENTITY_SOURCE = "shop"  # the shop's own customer ids, as `guanxi('identify', id)` passes them
EVENT_NAMES = ("page_view", "view_item", "add_to_cart", "purchase")
assert all(name in KIND_OF for name in EVENT_NAMES)


def site_key(session_secret: str) -> str:
    """The shop's public site key: 'gx_' and 24 hex digits of an HMAC of the session secret."""
    digest = hmac.new(session_secret.encode(), b"guanxi site tracking key", hashlib.sha256).hexdigest()
    return "gx_" + digest[:24]


def key_matches(session_secret: str, key: str) -> bool:
    return hmac.compare_digest(site_key(session_secret), key)


def origin_of(url: str) -> str:
    """'https://Shop.example:443/x' → 'https://shop.example': the form browsers send in Origin."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) origin")
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


@dataclass(frozen=True)
class SiteEvent:
    id: str  # made by the snippet, unique per visitor
    name: str  # one of EVENT_NAMES
    path: str | None = None  # the page's path, without query or fragment (they can carry personal data)
    item: str | None = None
    order: str | None = None
    value_minor: int | None = None
    currency: str | None = None


def to_event(visitor: str, customer: str | None, event: SiteEvent, now: dt.datetime) -> EventIn:
    identities = [IdentityKey("external", SOURCE, visitor)]
    if customer:
        identities.append(IdentityKey("external", SHOP_IDENTITY_SOURCE, customer))
    props: dict = {"channel": CHANNEL, "site_event": event.name}
    if event.name == "purchase":
        props["event"] = "purchase"
    for key, value in (("path", event.path), ("item", event.item), ("order", event.order),
                       ("value_minor", event.value_minor), ("currency", event.currency)):
        if value is not None:
            props[key] = value
    digest = hashlib.sha256(f"{visitor}\x1f{event.id}".encode()).hexdigest()[:40]
    return EventIn(kind=KIND_OF[event.name], occurred_at=now, person=PersonIn(identities), source=SOURCE,
                   external_id=digest, properties=props)


def record_site_events(session: Session, cipher: PiiCipher, visitor: str, customer: str | None,
                       events: list[SiteEvent], now: dt.datetime) -> tuple[int, int]:
    """Store one visitor's events; returns (stored, already known). The caller commits."""
    results = record_events(session, cipher, [to_event(visitor, customer, e, now) for e in events])
    stored = sum(1 for _, _, created in results if created)
    return stored, len(results) - stored
