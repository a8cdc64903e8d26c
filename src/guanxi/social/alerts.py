"""Telling staff about a crisis, through the care domain's channel adapters (e-mail and signed webhook).

A seam: `send(...)` returns what went out; a failed channel is logged and reported, never raised, so a
crisis is recorded even when the mail server is down (the hourly job tries again while none went out).
"""

from __future__ import annotations

import logging

from guanxi.care.channels import DeliveryError, Envelope
from guanxi.care.channels.email import SmtpChannel
from guanxi.care.channels.http import WebhookChannel
from guanxi.config import Settings
from guanxi.social.settings import SocialSettings

log = logging.getLogger(__name__)


def text_of(crisis_id: int, severity: str, reasons: list[str], keywords: dict, url: str) -> tuple[str, str]:
    subject = f"[舆情预警 Social crisis #{crisis_id}] {severity}: {', '.join(reasons)}"
    words = ", ".join(f"{k}×{n}" for k, n in sorted(keywords.items(), key=lambda kv: -kv[1])) or "-"
    body = (f"A possible public-opinion crisis was detected (#{crisis_id}, {severity}).\n"
            f"Reasons: {', '.join(reasons)}\nAlert keywords: {words}\n\n"
            f"检测到可能的舆情危机，请及时处理。\n{url.rstrip('/')}/social/crises/{crisis_id}\n")
    return subject, body


def send(settings: Settings, social: SocialSettings, crisis_id: int, subject: str, body: str,
         *, email_channel=None, webhook_channel=None) -> list[str]:
    """Send the alert to every configured address and webhook; returns the channels that accepted it."""
    sent = []
    targets = []
    if social.alert_emails:
        email = email_channel or SmtpChannel(settings.smtp_host, settings.smtp_port, settings.smtp_from)
        targets += [(email, to) for to in social.alert_emails]
    if social.alert_webhook_url:
        targets.append((webhook_channel or WebhookChannel(social.alert_webhook_url, social.alert_webhook_secret), None))
    for channel, to in targets:
        env = Envelope(message_id=crisis_id, idempotency_key=f"social-crisis:{crisis_id}:{to or 'webhook'}",
                       channel=channel.name, purpose="social_crisis", customer_id=0, to=to, subject=subject,
                       body=body, locale="zh-CN")
        try:
            channel.send(env)
            sent.append(f"{channel.name}:{to}" if to else channel.name)
        except DeliveryError as exc:
            log.warning("crisis alert %s via %s failed: %s", crisis_id, channel.name, exc)
    for channel in {c for c, _ in targets}:
        channel.close()
    return sent
