"""Care's part in a customer's life: messages on the timeline, in the export, gone on erasure."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from guanxi.care.models import Campaign, JourneyMember, OutboxMessage, Recipient
from guanxi.customers.hooks import eraser, exporter, timeline
from guanxi.customers.privacy_hooks import person_ids
from guanxi.db import utcnow
from guanxi.privacy.requests import cipher_of

SHOWN = ("sent", "delivered", "failed", "bounced")


@timeline("care")
def messages_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    rows = session.execute(
        select(OutboxMessage, Campaign.name).outerjoin(Campaign, Campaign.id == OutboxMessage.campaign_id)
        .where(OutboxMessage.customer_id.in_(person_ids(session, customer_id)), OutboxMessage.status.in_(SHOWN))
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(limit))
    out = []
    for msg, campaign in rows:
        at = msg.delivered_at or msg.sent_at or msg.updated_at
        label = f" ({campaign})" if campaign else ""
        out.append({"at": at, "kind": "message", "summary": f"{msg.channel} {msg.purpose} message {msg.status}{label}",
                    "message_id": msg.id, "channel": msg.channel, "status": msg.status,
                    "campaign_id": msg.campaign_id})
    return out


def messages_of(session: Session, customer_id: int, limit: int = 20) -> list[dict]:
    """The person's messages in any status, newest first, without their text."""
    rows = session.execute(
        select(OutboxMessage, Campaign.name).outerjoin(Campaign, Campaign.id == OutboxMessage.campaign_id)
        .where(OutboxMessage.customer_id.in_(person_ids(session, customer_id)))
        .order_by(OutboxMessage.id.desc()).limit(limit))
    return [{"id": m.id, "channel": m.channel, "purpose": m.purpose, "status": m.status, "reason": m.reason,
             "campaign": name, "at": m.delivered_at or m.sent_at or m.next_attempt_at} for m, name in rows]


@exporter("care")
def export_messages(session: Session, customer_id: int) -> dict:
    cipher = cipher_of(session)
    ids = person_ids(session, customer_id)
    messages = []
    for msg in session.scalars(select(OutboxMessage).where(OutboxMessage.customer_id.in_(ids)).order_by(OutboxMessage.id)):
        messages.append({
            "id": msg.id, "channel": msg.channel, "purpose": msg.purpose, "status": msg.status, "reason": msg.reason,
            "campaign_id": msg.campaign_id, "locale": msg.locale, "created_at": msg.created_at, "sent_at": msg.sent_at,
            "delivered_at": msg.delivered_at, "opened_at": msg.opened_at, "clicked_at": msg.clicked_at,
            "subject": cipher.decrypt(msg.subject_enc, context="care_subject"),
            "body": cipher.decrypt(msg.body_enc, context="care_body")})
    campaigns = [{"campaign_id": r.campaign_id, "period": r.period, "variant": r.variant, "at": r.at}
                 for r in session.scalars(select(Recipient).where(Recipient.customer_id.in_(ids)).order_by(Recipient.id))]
    journeys = [{"journey_id": m.journey_id, "period": m.period, "step": m.step, "status": m.status,
                 "entered_at": m.entered_at} for m in session.scalars(
        select(JourneyMember).where(JourneyMember.customer_id.in_(ids)).order_by(JourneyMember.id))]
    return {"messages": messages, "campaigns": campaigns, "journeys": journeys}


@eraser("care")
def erase_messages(session: Session, customer_id: int) -> dict:
    """Message texts go; counts stay (a message was sent, on which channel) for the shop's statistics."""
    ids = person_ids(session, customer_id)
    now = utcnow()
    session.execute(update(OutboxMessage).where(OutboxMessage.customer_id.in_(ids),
                                                OutboxMessage.status.in_(("queued", "sending")))
                    .values(status="suppressed", reason="erased", locked_by=None, locked_until=None, updated_at=now))
    done = session.execute(update(OutboxMessage).where(OutboxMessage.customer_id.in_(ids))
                           .values(subject_enc=None, body_enc=None, last_error=None, updated_at=now))
    # An erased person goes no further in any journey (the outbox would suppress the messages anyway).
    session.execute(update(JourneyMember).where(JourneyMember.customer_id.in_(ids),
                                                JourneyMember.status.in_(("active", "waiting")))
                    .values(status="left", updated_at=now))
    return {"messages": done.rowcount}
