"""What the send-time checks read about a batch of claimed messages, in a few queries for the whole batch.

The outbox checks each message against its customer, their consents, their recent marketing
messages, the suppression list and their address. Read one message at a time that is some ten
queries per e-mail; read per batch it is five queries per few hundred. A batch holds at most one
message per customer (outbox.process_batch takes a customer's further messages in a later round),
so what one message's sending changes never has to be seen by another message of the same batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from guanxi.care import facts
from guanxi.care.channels import ADDRESS_KIND
from guanxi.care.models import Campaign, OutboxMessage
from guanxi.customers.models import Customer
from guanxi.privacy.crypto import PiiCipher

SENT = ("sent", "delivered")
SUPPRESS_AFTER_BOUNCE_DAYS = 180


@dataclass
class Lookups:
    customers: dict[int, Customer] = field(default_factory=dict)      # message's customer id -> live customer
    states: dict[int, dict] = field(default_factory=dict)             # live id -> consents in force
    recent: dict[int, list[tuple]] = field(default_factory=dict)      # live id -> recent marketing rows
    bounced: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (live id, channel) -> message ids
    identities: dict[int, list] = field(default_factory=dict)         # live id -> identities (encrypted)
    campaigns: dict[int, Campaign] = field(default_factory=dict)      # the messages' campaigns
    parsed: dict = field(default_factory=dict)                        # settings parsed once per batch

    def once(self, key, parse):
        if key not in self.parsed:
            self.parsed[key] = parse()
        return self.parsed[key]

    def history(self, customer_id: int, now: dt.datetime, owner: str,
                campaign_id: int | None = None) -> list[tuple[str, dt.datetime]]:
        """Marketing messages sent to the customer in the last 8 days, and those another worker is sending now."""
        out = []
        for channel, sent_at, status, locked_by, locked_until, campaign in self.recent.get(customer_id, []):
            if campaign_id is not None and campaign != campaign_id:
                continue
            if status == "sending":
                if locked_until is not None and locked_until > now and locked_by != owner:
                    out.append((channel, now))
            elif sent_at is not None and sent_at >= now - dt.timedelta(days=8):
                out.append((channel, sent_at))
        return out

    def bounced_before(self, customer_id: int, channel: str, message_id: int) -> bool:
        return any(mid != message_id for mid in self.bounced.get((customer_id, channel), []))

    def address(self, cipher: PiiCipher, customer_id: int, channel: str) -> str | None:
        kind = ADDRESS_KIND.get(channel)
        if kind is None:
            return None
        found = [r for r in self.identities.get(customer_id, []) if r.kind == kind]
        return cipher.decrypt(found[-1].value_enc, context=kind) if found else None


def _in(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), facts.IN_CHUNK):
        yield ids[i:i + facts.IN_CHUNK]


def load(session: Session, messages: list[OutboxMessage], now: dt.datetime) -> Lookups:
    found = Lookups(customers=facts.live_customers(session, {m.customer_id for m in messages}))
    ids = sorted({c.id for c in found.customers.values()})
    found.states = facts.consent_states(session, ids)
    found.identities = facts.identities(session, ids)
    campaign_ids = sorted({m.campaign_id for m in messages if m.campaign_id})
    if campaign_ids:
        found.campaigns = {c.id: c for c in session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))}
    since = now - dt.timedelta(days=SUPPRESS_AFTER_BOUNCE_DAYS)
    for chunk in _in(ids):
        for row in session.execute(select(
                OutboxMessage.customer_id, OutboxMessage.channel, OutboxMessage.sent_at, OutboxMessage.status,
                OutboxMessage.locked_by, OutboxMessage.locked_until, OutboxMessage.campaign_id).where(
                OutboxMessage.customer_id.in_(chunk), OutboxMessage.purpose == "marketing",
                or_(and_(OutboxMessage.status.in_(SENT), OutboxMessage.sent_at >= now - dt.timedelta(days=8)),
                    and_(OutboxMessage.status == "sending", OutboxMessage.locked_until > now)))):
            found.recent.setdefault(row[0], []).append(tuple(row[1:]))
        for cid, channel, mid in session.execute(select(
                OutboxMessage.customer_id, OutboxMessage.channel, OutboxMessage.id).where(
                OutboxMessage.customer_id.in_(chunk),
                or_(OutboxMessage.status == "bounced", OutboxMessage.reason == "complained"),
                OutboxMessage.updated_at >= since)):
            found.bounced.setdefault((cid, channel), []).append(mid)
    return found
