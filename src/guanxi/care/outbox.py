"""The outbox: each message is a row; workers claim due rows, check them at send time, send, and mark.

queued -> sending -> sent -> delivered | failed | bounced, or suppressed (no consent, expired,
erased, no address, capped past its expiry). Quiet hours and caps do not drop a message: it
goes back to queued with a later next_attempt_at. A claim is a lease: a worker that dies while
sending leaves a row another worker takes over when the lease ends; the provider gets the same
idempotency key (and an e-mail the same Message-ID) on every attempt.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from guanxi.care import caps as caps_rules
from guanxi.care import tracking, unsubscribe
from guanxi.care.channels import ADDRESS_KIND, CONSENT_CHANNEL, Channel, DeliveryError, Envelope
from guanxi.care.models import Campaign, OutboxMessage
from guanxi.care.quiet_hours import next_allowed
from guanxi.care.settings import CareSettings
from guanxi.customers import consents, profiles
from guanxi.db import transaction, utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Invalid, NotFound
from guanxi.privacy.crypto import PiiCipher

log = logging.getLogger(__name__)

STATUSES = ("queued", "sending", "sent", "delivered", "failed", "bounced", "suppressed")
PURPOSES = ("marketing", "service")
SENT = ("sent", "delivered")
RECEIPTS = ("delivered", "failed", "bounced", "complained")
SUPPRESS_AFTER_BOUNCE_DAYS = 180


@dataclass
class Draft:
    key: str
    customer_id: int
    channel: str
    purpose: str
    locale: str
    subject: str | None
    body: str
    campaign_id: int | None = None
    template_id: int | None = None
    template_version: int | None = None
    variant: str | None = None
    priority: int = 0
    not_before: dt.datetime | None = None
    expires_at: dt.datetime | None = None


def enqueue(session: Session, cipher: PiiCipher, draft: Draft) -> int | None:
    """Queue one message; None when a message with this idempotency key exists already."""
    if draft.purpose not in PURPOSES:
        raise Invalid(f"purpose is marketing or service, not {draft.purpose!r}")
    now = utcnow()
    row = {"idempotency_key": draft.key, "campaign_id": draft.campaign_id, "customer_id": draft.customer_id,
           "channel": draft.channel, "purpose": draft.purpose, "template_id": draft.template_id,
           "template_version": draft.template_version, "variant": draft.variant, "locale": draft.locale,
           "subject_enc": cipher.encrypt(draft.subject, context="care_subject"),
           "body_enc": cipher.encrypt(draft.body, context="care_body"), "status": "queued",
           "priority": draft.priority, "attempts": 0, "next_attempt_at": draft.not_before or now,
           "expires_at": draft.expires_at, "created_at": now, "updated_at": now}
    stmt = insert_ignoring_conflicts(session, OutboxMessage, ["idempotency_key"]).returning(OutboxMessage.id)
    return session.scalar(stmt, row)


def retry_delay(attempts: int, base_seconds: int, max_seconds: int) -> dt.timedelta:
    """Exponential back-off: base, 2×base, 4×base ... capped."""
    return dt.timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


@dataclass
class DrainReport:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    suppressed: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, reason: str | None = None) -> None:
        setattr(self, what, getattr(self, what) + 1)
        if reason:
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def as_dict(self) -> dict:
        return asdict(self)


def _due(now: dt.datetime):
    return or_(and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.status == "sending", OutboxMessage.locked_until < now))


def claim(factory: sessionmaker[Session], now: dt.datetime, owner: str, limit: int, lease_seconds: int) -> list[int]:
    """Take up to `limit` due messages for this worker, highest priority first."""
    with transaction(factory) as session:
        stmt = (select(OutboxMessage.id).where(_due(now))
                .order_by(OutboxMessage.priority.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        claimed = []
        for mid in session.scalars(stmt).all():
            done = session.execute(update(OutboxMessage).where(OutboxMessage.id == mid, _due(now)).values(
                status="sending", locked_by=owner, locked_until=now + dt.timedelta(seconds=lease_seconds),
                updated_at=now))
            if done.rowcount == 1:
                claimed.append(mid)
    return claimed


def _release(msg: OutboxMessage, now: dt.datetime, status: str, reason: str | None,
             next_at: dt.datetime | None = None) -> None:
    msg.status, msg.reason, msg.locked_by, msg.locked_until, msg.updated_at = status, reason, None, None, now
    if next_at is not None:
        msg.next_attempt_at = next_at


def consented(session: Session, customer_id: int, channel: str, purpose: str) -> bool:
    consent_channel = CONSENT_CHANNEL.get(channel, "any")
    if purpose == "marketing":
        return consents.allows(session, customer_id, consent_channel, "marketing")
    # Service messages (a delivery, a recall, an apology) need no opt-in, but an explicit opt-out stops them.
    state = consents.current(session, customer_id)
    row = state.get((consent_channel, "service")) or state.get(("any", "service"))
    return row is None or row.granted


def sent_history(session: Session, customer_id: int, now: dt.datetime, owner: str, *,
                 campaign_id: int | None = None) -> list[tuple[str, dt.datetime]]:
    """Marketing messages this customer got in the last 8 days, and those other workers are sending now."""
    stmt = select(OutboxMessage.channel, OutboxMessage.sent_at, OutboxMessage.status, OutboxMessage.locked_by,
                  OutboxMessage.locked_until).where(
        OutboxMessage.customer_id == customer_id, OutboxMessage.purpose == "marketing",
        or_(and_(OutboxMessage.status.in_(SENT), OutboxMessage.sent_at >= now - dt.timedelta(days=8)),
            and_(OutboxMessage.status == "sending", OutboxMessage.locked_until > now)))
    if campaign_id is not None:
        stmt = stmt.where(OutboxMessage.campaign_id == campaign_id)
    out = []
    for channel, sent_at, status, locked_by, _ in session.execute(stmt):
        if status == "sending":
            if locked_by != owner:
                out.append((channel, now))
        else:
            out.append((channel, sent_at))
    return out


def _bounced_before(session: Session, customer_id: int, channel: str, message_id: int, now: dt.datetime) -> bool:
    """The suppression list: an address that bounced (or a complaint) stops that channel for a while."""
    since = now - dt.timedelta(days=SUPPRESS_AFTER_BOUNCE_DAYS)
    return session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.customer_id == customer_id, OutboxMessage.channel == channel, OutboxMessage.id != message_id,
        or_(OutboxMessage.status == "bounced", OutboxMessage.reason == "complained"),
        OutboxMessage.updated_at >= since).limit(1)) is not None


def _address(session: Session, cipher: PiiCipher, customer_id: int, channel: str) -> str | None:
    kind = ADDRESS_KIND.get(channel)
    if kind is None:
        return None
    found = [i["value"] for i in profiles.identities_of(session, cipher, customer_id) if i["kind"] == kind]
    return found[-1] if found else None


def prepare(session: Session, cipher: PiiCipher, secret: str, care: CareSettings, msg: OutboxMessage,
            now: dt.datetime, owner: str, report: DrainReport) -> Envelope | None:
    """Check a claimed message at send time; returns what to send, or None after deferring/suppressing it."""
    try:
        customer = profiles.live_customer(session, msg.customer_id)
    except NotFound:
        _release(msg, now, "suppressed", "erased")
        report.count("suppressed", "erased")
        return None
    if msg.expires_at and now > msg.expires_at:
        _release(msg, now, "suppressed", "expired")
        report.count("suppressed", "expired")
        return None
    if not consented(session, customer.id, msg.channel, msg.purpose):
        _release(msg, now, "suppressed", "no_consent")
        report.count("suppressed", "no_consent")
        return None
    when = next_allowed(now, customer.timezone, care.quiet())
    if when > now:
        _release(msg, now, "queued", "quiet_hours", when)
        report.count("deferred", "quiet_hours")
        return None
    if msg.purpose == "marketing":
        release = caps_rules.cap_release(sent_history(session, customer.id, now, owner), msg.channel, now,
                                         customer.timezone, care.marketing_caps())
        campaign = session.get(Campaign, msg.campaign_id) if msg.campaign_id else None
        if release is None and campaign is not None and campaign.caps:
            history = sent_history(session, customer.id, now, owner, campaign_id=campaign.id)
            release = caps_rules.cap_release(history, msg.channel, now, customer.timezone,
                                             caps_rules.parse_caps(campaign.caps))
        if release is not None:
            if msg.expires_at and release > msg.expires_at:
                _release(msg, now, "suppressed", "frequency_cap")
                report.count("suppressed", "frequency_cap")
            else:
                _release(msg, now, "queued", "frequency_cap", release)
                report.count("deferred", "frequency_cap")
            return None
    if _bounced_before(session, customer.id, msg.channel, msg.id, now):
        _release(msg, now, "suppressed", "bounced_before")
        report.count("suppressed", "bounced_before")
        return None
    to = _address(session, cipher, customer.id, msg.channel)
    if to is None and ADDRESS_KIND.get(msg.channel) is not None:
        _release(msg, now, "suppressed", "no_address")
        report.count("suppressed", "no_address")
        return None
    link = unsubscribe.link(care.public_url, secret, customer.id, msg.channel) if msg.purpose == "marketing" else None
    envelope = Envelope(message_id=msg.id, idempotency_key=msg.idempotency_key, channel=msg.channel,
                        purpose=msg.purpose, customer_id=customer.id, to=to,
                        subject=cipher.decrypt(msg.subject_enc, context="care_subject"),
                        body=cipher.decrypt(msg.body_enc, context="care_body") or "", locale=msg.locale,
                        unsubscribe_url=link)
    return tracking.decorate(envelope, care.public_url, secret, links=care.track_links, pixel=care.open_pixel)


def _mine(session: Session, message_id: int, owner: str) -> OutboxMessage | None:
    msg = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update())
    if msg is None or msg.status != "sending" or msg.locked_by != owner:
        return None  # the lease ran out and another worker took it over
    return msg


def process(factory: sessionmaker[Session], cipher: PiiCipher, secret: str, care: CareSettings,
            channels: Mapping[str, Channel], message_id: int, now: dt.datetime, owner: str,
            report: DrainReport) -> None:
    with transaction(factory) as session:
        msg = _mine(session, message_id, owner)
        if msg is None:
            return
        envelope = prepare(session, cipher, secret, care, msg, now, owner, report)
        if envelope is not None:
            msg.attempts += 1
            attempts = msg.attempts
    if envelope is None:
        return
    channel = channels.get(envelope.channel)
    error: DeliveryError | None = None
    provider_id = None
    try:
        if channel is None:
            raise DeliveryError(f"no adapter for channel {envelope.channel!r}", retry=False)
        provider_id = channel.send(envelope)
    except DeliveryError as exc:
        error = exc
    # The provider has the message now: marking it must not be lost to a clash with another write.
    with transaction(factory) as session:
        msg = _mine(session, message_id, owner)
        if msg is None:
            return
        done = now  # the drain's clock, so caps and back-off count in one time line
        if error is None:
            _release(msg, done, "sent", None)
            msg.provider_id, msg.sent_at, msg.last_error = provider_id, done, None
            report.count("sent")
        elif error.retry and attempts < care.max_attempts:
            _release(msg, done, "queued", "retry", done + retry_delay(attempts, care.backoff_seconds,
                                                                        care.backoff_max_seconds))
            msg.last_error = str(error)[:1000]
            report.count("retried")
        else:
            status = "bounced" if error.bounced else "failed"
            _release(msg, done, status, "bounced" if error.bounced else "undeliverable")
            msg.last_error = str(error)[:1000]
            report.count(status)
            log.warning("care message %s %s: %s", message_id, status, error)


def drain(factory: sessionmaker[Session], cipher: PiiCipher, secret: str, care: CareSettings,
          channels: Mapping[str, Channel], *, owner: str, now: dt.datetime | None = None,
          limit: int | None = None) -> DrainReport:
    """Send what is due, batch by batch, until nothing is due or `limit` messages were handled."""
    report = DrainReport()
    now = now or utcnow()
    remaining = limit if limit is not None else 10**9
    while remaining > 0:
        ids = claim(factory, now, owner, min(care.batch_size, remaining), care.lease_seconds)
        if not ids:
            break
        report.claimed += len(ids)
        remaining -= len(ids)
        for mid in ids:
            process(factory, cipher, secret, care, channels, mid, now, owner, report)
    return report


def record_receipt(session: Session, channel: str, provider_id: str, status: str,
                   at: dt.datetime | None = None) -> OutboxMessage:
    """A provider's delivery receipt. Repeats and late receipts are harmless: a status only moves forward."""
    if status not in RECEIPTS:
        raise Invalid(f"receipt status is one of {', '.join(RECEIPTS)}")
    msg = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == channel,
                                                     OutboxMessage.provider_id == provider_id).with_for_update())
    if msg is None:
        raise NotFound(f"no {channel} message {provider_id!r}")
    at = at or utcnow()
    if status == "complained":
        consents.set_consent(session, msg.customer_id, CONSENT_CHANNEL.get(channel, "any"), "marketing", False,
                             source="care:complaint")
        msg.reason = "complained"
    elif status == "delivered" and msg.status in ("sending", "sent"):
        msg.status, msg.delivered_at = "delivered", at
    elif status in ("failed", "bounced") and msg.status in ("sending", "sent", "delivered"):
        msg.status, msg.reason = status, status
    msg.updated_at = utcnow()
    return msg


def message_text(cipher: PiiCipher, msg: OutboxMessage) -> tuple[str | None, str | None]:
    return (cipher.decrypt(msg.subject_enc, context="care_subject"),
            cipher.decrypt(msg.body_enc, context="care_body"))
