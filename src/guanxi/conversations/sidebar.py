"""The customer beside the reply box: who they are, tier and points, open tickets, last orders and shipments."""

from __future__ import annotations

from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.errors import NotFound
from guanxi.loyalty import points
from guanxi.privacy.crypto import PiiCipher
from guanxi.service import tickets
from guanxi.service.status import DONE



def summary(session: Session, cipher: PiiCipher, customer_id: int, *, reveal: bool = False, orders: int = 3) -> dict:
    customer = profiles.live_customer(session, customer_id)
    try:
        loyalty = points.summary(session, customer.id)
    except NotFound:
        loyalty = None
    open_tickets = [t for t in tickets.inbox(session, customer_id=customer.id, limit=20) if t.status not in DONE]
    story = profiles.timeline(session, customer.id, limit=100)
    recent_orders = [e for e in story if e["kind"] == "order"][:orders]
    order_ids = {e["order_id"] for e in recent_orders}
    shipments = [e for e in story if e["kind"] == "shipment" and e.get("order_id") in order_ids]
    return {
        **profiles.summary(customer, cipher, reveal=reveal), "tags": customer.tags or [],
        "tier": loyalty["tier"] if loyalty else None,
        "points": loyalty["available"] if loyalty else 0,
        "points_pending": loyalty["pending"] if loyalty else 0,
        **{k: v for k, v in profiles.order_figures(session, customer.id).items()
           if k in ("orders_count", "orders_total_minor", "currency", "last_order_at")},
        "open_tickets": [{"id": t.id, "subject": t.subject, "status": t.status, "priority": t.priority,
                          "sla_due": t.sla_due} for t in open_tickets],
        "last_orders": [{"order_id": e["order_id"], "at": e["at"], "summary": e["summary"],
                         "amount_minor": e.get("amount_minor"), "currency": e.get("currency"),
                         "shipments": [{"at": s["at"], "kind": s["kind"], "summary": s["summary"]}
                                       for s in shipments if s.get("order_id") == e["order_id"]]}
                        for e in recent_orders],
    }
