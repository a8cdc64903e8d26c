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
from guanxi.care import rate_limits, send_lookups, tracking, unsubscribe
from guanxi.care.channels import ADDRESS_KIND, CONSENT_CHANNEL, Channel, DeliveryError, Envelope
from guanxi.care.models import OutboxMessage
from guanxi.care.quiet_hours import next_allowed
from guanxi.care.settings import CareSettings
from guanxi.customers import consents
from guanxi.db import transaction, utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import Invalid, NotFound
from guanxi.privacy.crypto import PiiCipher

log = logging.getLogger(__name__)

STATUSES = ("queued", "sending", "sent", "delivered", "failed", "bounced", "suppressed")
PURPOSES = ("marketing", "service")
SENT = ("sent", "delivered")
RECEIPTS = ("delivered", "failed", "bounced", "complained")
SUPPRESS_AFTER_BOUNCE_DAYS = send_lookups.SUPPRESS_AFTER_BOUNCE_DAYS


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


def _row(cipher: PiiCipher, draft: Draft, now: dt.datetime) -> dict:
    if draft.purpose not in PURPOSES:
        raise Invalid(f"purpose is marketing or service, not {draft.purpose!r}")
    return {"idempotency_key": draft.key, "campaign_id": draft.campaign_id, "customer_id": draft.customer_id,
            "channel": draft.channel, "purpose": draft.purpose, "template_id": draft.template_id,
            "template_version": draft.template_version, "variant": draft.variant, "locale": draft.locale,
            "subject_enc": cipher.encrypt(draft.subject, context="care_subject"),
            "body_enc": cipher.encrypt(draft.body, context="care_body"), "status": "queued",
            "priority": draft.priority, "attempts": 0, "next_attempt_at": draft.not_before or now,
            "expires_at": draft.expires_at, "created_at": now, "updated_at": now}


def enqueue(session: Session, cipher: PiiCipher, draft: Draft) -> int | None:
    """Queue one message; None when a message with this idempotency key exists already."""
    row = _row(cipher, draft, utcnow())
    stmt = insert_ignoring_conflicts(session, OutboxMessage, ["idempotency_key"]).returning(OutboxMessage.id)
    return session.scalar(stmt, row)


def enqueue_many(session: Session, cipher: PiiCipher, drafts: list[Draft]) -> set[str]:
    """Queue many messages in one multi-row INSERT; returns the keys that were new (the others existed)."""
    if not drafts:
        return set()
    now = utcnow()
    rows = [_row(cipher, d, now) for d in drafts]
    table = OutboxMessage.__table__
    stmt = insert_ignoring_conflicts(session, table, ["idempotency_key"]).returning(table.c.idempotency_key)
    return set(session.execute(stmt, rows).scalars())


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
    """Take up to `limit` due messages for this worker, highest priority first (one UPDATE for the batch)."""
    with transaction(factory) as session:
        stmt = (select(OutboxMessage.id).where(_due(now))
                .order_by(OutboxMessage.priority.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        wanted = list(session.scalars(stmt).all())
        if not wanted:
            return []
        # The due condition again: on SQLite another worker may have taken some between the SELECT and here.
        taken = set(session.scalars(update(OutboxMessage).where(OutboxMessage.id.in_(wanted), _due(now)).values(
            status="sending", locked_by=owner, locked_until=now + dt.timedelta(seconds=lease_seconds),
            updated_at=now).returning(OutboxMessage.id)))
    return [mid for mid in wanted if mid in taken]


def _release(msg: OutboxMessage, now: dt.datetime, status: str, reason: str | None,
             next_at: dt.datetime | None = None) -> None:
    msg.status, msg.reason, msg.locked_by, msg.locked_until, msg.updated_at = status, reason, None, None, now
    if next_at is not None:
        msg.next_attempt_at = next_at


def consented(session: Session, customer_id: int, channel: str, purpose: str) -> bool:
    return consented_in(consents.current(session, customer_id), channel, purpose)


def consented_in(state: Mapping, channel: str, purpose: str) -> bool:
    """The same rule on a customer's consents in force (consents.current or facts.consent_states)."""
    consent_channel = CONSENT_CHANNEL.get(channel, "any")
    if purpose == "marketing":  # as consents.allows: granted for the channel, else for "any"
        row = state.get((consent_channel, "marketing")) or state.get(("any", "marketing"))
        return row is not None and row.granted
    # Service messages (a delivery, a recall, an apology) need no opt-in, but an explicit opt-out stops them.
    row = state.get((consent_channel, "service")) or state.get(("any", "service"))
    return row is None or row.granted


def prepare(session: Session, cipher: PiiCipher, secret: str, care: CareSettings, msg: OutboxMessage,
            now: dt.datetime, owner: str, report: DrainReport, found: send_lookups.Lookups | None = None
            ) -> Envelope | None:
    """Check a claimed message at send time; returns what to send, or None after deferring/suppressing it.

    `found` is what send_lookups.load read for the message's batch; without it, it is read for this one."""
    found = found if found is not None else send_lookups.load(session, [msg], now)
    customer = found.customers.get(msg.customer_id)
    if customer is None:
        _release(msg, now, "suppressed", "erased")
        report.count("suppressed", "erased")
        return None
    if msg.expires_at and now > msg.expires_at:
        _release(msg, now, "suppressed", "expired")
        report.count("suppressed", "expired")
        return None
    if not consented_in(found.states.get(customer.id, {}), msg.channel, msg.purpose):
        _release(msg, now, "suppressed", "no_consent")
        report.count("suppressed", "no_consent")
        return None
    when = next_allowed(now, customer.timezone, found.once("quiet", care.quiet))
    if when > now:
        _release(msg, now, "queued", "quiet_hours", when)
        report.count("deferred", "quiet_hours")
        return None
    if msg.purpose == "marketing":
        release = caps_rules.cap_release(found.history(customer.id, now, owner), msg.channel, now,
                                         customer.timezone, found.once("caps", care.marketing_caps))
        campaign = found.campaigns.get(msg.campaign_id) if msg.campaign_id else None
        if release is None and campaign is not None and campaign.caps:
            history = found.history(customer.id, now, owner, campaign_id=campaign.id)
            own = found.once(("campaign", campaign.caps), lambda: caps_rules.parse_caps(campaign.caps))
            release = caps_rules.cap_release(history, msg.channel, now, customer.timezone, own)
        if release is not None:
            if msg.expires_at and release > msg.expires_at:
                _release(msg, now, "suppressed", "frequency_cap")
                report.count("suppressed", "frequency_cap")
            else:
                _release(msg, now, "queued", "frequency_cap", release)
                report.count("deferred", "frequency_cap")
            return None
    if found.bounced_before(customer.id, msg.channel, msg.id):
        _release(msg, now, "suppressed", "bounced_before")
        report.count("suppressed", "bounced_before")
        return None
    to = found.address(cipher, customer.id, msg.channel)
    if to is None and ADDRESS_KIND.get(msg.channel) is not None:
        _release(msg, now, "suppressed", "no_address")
        report.count("suppressed", "no_address")
        return None
    # Last, so a message deferred or suppressed above never holds one of the channel's slots.
    wait = rate_limits.take(session, care.channel_limits(), msg.channel, now)
    if wait is not None:
        _release(msg, now, "queued", "rate_limit", wait)
        report.count("deferred", "rate_limit")
        return None
    link = unsubscribe.link(care.public_url, secret, customer.id, msg.channel) if msg.purpose == "marketing" else None
    envelope = Envelope(message_id=msg.id, idempotency_key=msg.idempotency_key, channel=msg.channel,
                        purpose=msg.purpose, customer_id=customer.id, to=to,
                        subject=cipher.decrypt(msg.subject_enc, context="care_subject"),
                        body=cipher.decrypt(msg.body_enc, context="care_body") or "", locale=msg.locale,
                        unsubscribe_url=link)
    return tracking.decorate(envelope, care.public_url, secret, links=care.track_links, pixel=care.open_pixel)


def process(factory: sessionmaker[Session], cipher: PiiCipher, secret: str, care: CareSettings,
            channels: Mapping[str, Channel], message_id: int, now: dt.datetime, owner: str,
            report: DrainReport) -> None:
    process_batch(factory, cipher, secret, care, channels, [message_id], now, owner, report)


def _mine_all(session: Session, ids: list[int], owner: str) -> dict[int, OutboxMessage]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
                           .with_for_update())
    # A row whose lease ran out and that another worker took over is no longer ours.
    return {m.id: m for m in rows if m.status == "sending" and m.locked_by == owner}


def process_batch(factory: sessionmaker[Session], cipher: PiiCipher, secret: str, care: CareSettings,
                  channels: Mapping[str, Channel], message_ids: list[int], now: dt.datetime, owner: str,
                  report: DrainReport) -> None:
    """Check, send and mark claimed messages: one transaction to check the batch, the sends outside any
    transaction (one SMTP connection for all), one transaction to mark them.

    A customer's messages go one per round, in the claimed order, so the second sees the first as sent
    (caps, the suppression list) exactly as if they were handled one after the other."""
    pending = list(message_ids)
    while pending:
        pending = _round(factory, cipher, secret, care, channels, pending, now, owner, report)


def _round(factory: sessionmaker[Session], cipher: PiiCipher, secret: str, care: CareSettings,
           channels: Mapping[str, Channel], ids: list[int], now: dt.datetime, owner: str,
           report: DrainReport) -> list[int]:
    later: list[int] = []
    out: list[tuple[Envelope, int]] = []
    with transaction(factory) as session:
        mine = _mine_all(session, ids, owner)
        msgs = [mine[mid] for mid in ids if mid in mine]
        found = send_lookups.load(session, msgs, now)
        seen: set[int] = set()
        for msg in msgs:
            customer = found.customers.get(msg.customer_id)
            if customer is not None:
                if customer.id in seen:
                    later.append(msg.id)
                    continue
                seen.add(customer.id)
            envelope = prepare(session, cipher, secret, care, msg, now, owner, report, found)
            if envelope is not None:
                msg.attempts += 1
                out.append((envelope, msg.attempts))
    results = []
    for envelope, attempts in out:
        channel = channels.get(envelope.channel)
        error: DeliveryError | None = None
        provider_id = None
        try:
            if channel is None:
                raise DeliveryError(f"no adapter for channel {envelope.channel!r}", retry=False)
            provider_id = channel.send(envelope)
        except DeliveryError as exc:
            error = exc
        results.append((envelope.message_id, attempts, provider_id, error))
    if results:
        _mark(factory, care, results, now, owner, report)
    return later


def _mark(factory: sessionmaker[Session], care: CareSettings, results: list, now: dt.datetime, owner: str,
          report: DrainReport) -> None:
    # The providers have the messages now: marking them must not be lost to a clash with another write.
    with transaction(factory) as session:
        mine = _mine_all(session, [mid for mid, *_ in results], owner)
        done = now  # the drain's clock, so caps and back-off count in one time line
        for message_id, attempts, provider_id, error in results:
            msg = mine.get(message_id)
            if msg is None:
                continue
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
    if care.rate_limits:
        with transaction(factory) as session:
            rate_limits.sweep(session, now)
    remaining = limit if limit is not None else 10**9
    while remaining > 0:
        ids = claim(factory, now, owner, min(care.batch_size, remaining), care.lease_seconds)
        if not ids:
            break
        report.claimed += len(ids)
        remaining -= len(ids)
        process_batch(factory, cipher, secret, care, channels, ids, now, owner, report)
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
