"""Scheduled conversation work: send queued replies (claimed one by one, sent once), relay ticket answers,
propose call-backs after complaints. Each may run late, twice or on two workers."""

from __future__ import annotations

from guanxi.conversations import callbacks, handoff
from guanxi.conversations import customer_hooks  # noqa: F401  (timeline, export, erasure and merge hooks)
from guanxi.conversations.adapters import adapters
from guanxi.conversations.outbound import deliver_pending
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets
from guanxi.scheduler.registry import job


@job("conversations.deliver_replies", every="minutely")
def deliver_replies(ctx) -> dict:
    cipher = PiiCipher(read_secrets(ctx.settings.secrets_path))
    channels = adapters(ctx.settings, get_conversation_settings())
    try:
        return deliver_pending(ctx.factory, cipher, channels, now=ctx.now)
    finally:
        for adapter in set(channels.values()):
            adapter.close()


@job("conversations.relay_ticket_replies", every="minutely")
def relay_ticket_replies(ctx) -> dict:
    """Answers written on a conversation's ticket go back out on the customer's channel."""
    cipher = PiiCipher(read_secrets(ctx.settings.secrets_path))
    with transaction(ctx.factory) as session:
        return {"copied": handoff.relay_ticket_replies(session, cipher, now=ctx.now)}


@job("conversations.propose_complaint_callbacks", every="daily")
def propose_complaint_callbacks(ctx) -> dict:
    with transaction(ctx.factory) as session:
        return {"scheduled": callbacks.propose_for_complaints(session, ctx.now)}
