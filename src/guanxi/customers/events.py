"""Customer events (page view, add to cart, review, share, live-stream watch, coupon use, ...)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.hooks import customers_changed
from guanxi.customers.identity import resolve_people
from guanxi.customers.models import CustomerEvent
from guanxi.customers.records import PersonIn
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.privacy.crypto import PiiCipher

EVENT_KINDS = ("page_view", "product_view", "add_to_cart", "checkout_started", "review", "share",
               "live_watch", "coupon_use", "sign_up", "sign_in", "search", "wishlist", "custom")


@dataclass
class EventIn:
    kind: str
    occurred_at: dt.datetime
    person: PersonIn | None = None
    customer_id: int | None = None
    source: str = "api"
    external_id: str | None = None
    properties: dict = field(default_factory=dict)


def record_events(session: Session, cipher: PiiCipher, events: list[EventIn]) -> list[tuple[int | None, int, bool]]:
    """Store events; returns (event id, customer id, created) per event; a known external id is not stored twice."""
    need = [i for i, e in enumerate(events) if e.customer_id is None]
    resolved = resolve_people(session, cipher, [events[i].person for i in need]) if need else []
    customer_ids = [e.customer_id for e in events]
    for i, (cid, _) in zip(need, resolved, strict=True):
        customer_ids[i] = cid
    results = []
    for e, cid in zip(events, customer_ids, strict=True):
        row = {"customer_id": cid, "kind": e.kind, "occurred_at": e.occurred_at, "source": e.source,
               "external_id": e.external_id, "properties": e.properties}
        if e.external_id is None:
            event = CustomerEvent(**row)
            session.add(event)
            session.flush()
            results.append((event.id, cid, True))
            continue
        stmt = insert_ignoring_conflicts(session, CustomerEvent, ["source", "external_id"]).returning(CustomerEvent.id)
        new_id = session.scalar(stmt, row)
        created = new_id is not None
        if not created:
            new_id = session.scalar(select(CustomerEvent.id).where(CustomerEvent.source == e.source,
                                                                    CustomerEvent.external_id == e.external_id))
        results.append((new_id, cid, created))
    customers_changed(session, [cid for _, cid, created in results if created])
    return results
