"""Scheduled conversation work: send queued replies every minute (claimed one by one, sent once)."""

from __future__ import annotations

from guanxi.conversations import customer_hooks  # noqa: F401  (timeline, export, erasure and merge hooks)
from guanxi.conversations.adapters import adapters
from guanxi.conversations.outbound import deliver_pending
from guanxi.conversations.settings import get_conversation_settings
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
