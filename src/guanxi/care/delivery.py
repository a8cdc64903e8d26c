"""Wiring the outbox to the configured channels, for the worker's drain job and the CLI."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from guanxi.care import outbox
from guanxi.care.channels import Channel
from guanxi.care.channels.email import SmtpChannel
from guanxi.care.channels.http import PushChannel, SmsChannel, WebhookChannel, WeChatChannel
from guanxi.care.channels.inapp import InAppChannel
from guanxi.care.settings import CareSettings
from guanxi.config import Settings
from guanxi.privacy.crypto import PiiCipher


def build_channels(settings: Settings, care: CareSettings) -> dict[str, Channel]:
    timeout = care.http_timeout
    return {
        "email": SmtpChannel(settings.smtp_host, settings.smtp_port, settings.smtp_from, timeout=timeout),
        "sms": SmsChannel(care.sms_url, care.sms_key, timeout=timeout),
        "wechat": WeChatChannel(care.wechat_url, care.wechat_access_token, timeout=timeout),
        "webhook": WebhookChannel(care.webhook_url, care.webhook_secret, timeout=timeout),
        "push": PushChannel(care.push_url, care.push_key, timeout=timeout),
        "inapp": InAppChannel(),
    }


def run_drain(factory: sessionmaker[Session], settings: Settings, cipher: PiiCipher, secret: str,
              care: CareSettings, *, owner: str, now: dt.datetime | None = None,
              limit: int | None = None) -> dict:
    channels = build_channels(settings, care)
    try:
        return outbox.drain(factory, cipher, secret, care, channels, owner=owner, now=now, limit=limit).as_dict()
    finally:
        for channel in channels.values():
            channel.close()
