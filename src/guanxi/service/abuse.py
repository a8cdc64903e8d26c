"""Abuse flags: repeated refund claims, the same text from several accounts, and people linked to
earlier flagged tickets. A flag puts the case in review with its evidence; it never refuses a
return the law allows (nothing here blocks a ticket, a return or a refund)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers.privacy_hooks import person_ids
from guanxi.db import utcnow
from guanxi.service.models import Ticket, TicketEvent, TicketReturn

REFUND_CLAIMS = 3            # refund or return claims by one person in the window …
REFUND_WINDOW = dt.timedelta(days=90)
SAME_TEXT_ACCOUNTS = 3       # … or the same text from this many accounts in the window
SAME_TEXT_WINDOW = dt.timedelta(days=30)
MIN_TEXT = 20                # short texts ("where is my order?") are the same for everyone
REVIEW_TAG = "abuse-review"


def text_hash(text: str) -> str | None:
    """The text without case, spaces, punctuation or digits, hashed; None for texts too short to tell."""
    core = re.sub(r"[\W\d_]+", "", unicodedata.normalize("NFKC", text or "").lower())
    return hashlib.sha256(core.encode()).hexdigest() if len(core) >= MIN_TEXT else None


def _refund_claims(session: Session, ids: list[int], since: dt.datetime) -> list[int]:
    refunds = session.scalars(select(Ticket.id).where(Ticket.customer_id.in_(ids), Ticket.created_at >= since,
                                                      Ticket.resolution_type == "refund"))
    returns = session.scalars(select(TicketReturn.ticket_id).join(Ticket, Ticket.id == TicketReturn.ticket_id)
                              .where(Ticket.customer_id.in_(ids), TicketReturn.created_at >= since))
    return sorted(set(refunds) | set(returns))


def check(session: Session, ticket: Ticket, now: dt.datetime | None = None) -> list[dict]:
    """Look at the ticket's person and text; new flags are stored on the ticket with their evidence."""
    now = now or utcnow()
    flags: list[dict] = []
    ids = person_ids(session, ticket.customer_id) if ticket.customer_id else []
    if ids:
        claims = _refund_claims(session, ids, now - REFUND_WINDOW)
        if len(claims) >= REFUND_CLAIMS:
            flags.append({"reason": "repeated_refunds", "tickets": claims[:50], "count": len(claims)})
        earlier = sorted(set(_flagged_ids(session, ids)) - {ticket.id})
        if earlier:
            flags.append({"reason": "linked_to_flagged", "tickets": earlier[:50], "profiles": ids})
    if ticket.text_hash:
        rows = session.execute(select(Ticket.id, Ticket.customer_id).where(
            Ticket.text_hash == ticket.text_hash, Ticket.created_at >= now - SAME_TEXT_WINDOW,
            Ticket.customer_id.is_not(None)).limit(200)).all()
        accounts = {c for _, c in rows} | ({ticket.customer_id} if ticket.customer_id else set())
        if len(accounts) >= SAME_TEXT_ACCOUNTS:
            flags.append({"reason": "same_text", "tickets": sorted({t for t, _ in rows} - {ticket.id})[:50],
                          "accounts": len(accounts)})
    known = {f["reason"] for f in ticket.abuse_flags or []}
    new = [f for f in flags if f["reason"] not in known]
    if new:
        ticket.abuse_flags = [*(ticket.abuse_flags or []), *new]
        if REVIEW_TAG not in (ticket.tags or []):
            ticket.tags = [*(ticket.tags or []), REVIEW_TAG]
        session.add(TicketEvent(ticket_id=ticket.id, kind="abuse_flagged", actor="system", at=now,
                                details={"flags": new}))
    return new


def _flagged_ids(session: Session, ids: list[int]) -> list[int]:
    # JSON columns differ between backends; the events table says which tickets were flagged.
    return list(session.scalars(select(TicketEvent.ticket_id).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                                .where(TicketEvent.kind == "abuse_flagged", Ticket.customer_id.in_(ids))))


def evidence(session: Session, ticket: Ticket) -> dict:
    """What a reviewer (or the shop's lawyer) sees: the flags and the tickets behind them."""
    related = sorted({t for f in ticket.abuse_flags or [] for t in f.get("tickets", [])})
    rows = session.scalars(select(Ticket).where(Ticket.id.in_(related))) if related else []
    return {"ticket_id": ticket.id, "customer_id": ticket.customer_id, "flags": ticket.abuse_flags or [],
            "related": [{"id": t.id, "customer_id": t.customer_id, "created_at": t.created_at.isoformat(),
                         "subject": t.subject, "category": t.category, "subcategory": t.subcategory,
                         "resolution_type": t.resolution_type, "status": t.status} for t in rows]}
