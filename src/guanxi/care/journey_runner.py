"""Moving customers through journeys: the `care.advance_journeys` job's work.

Each run lets the entry's new customers in (one care_journey_members row per journey, customer and
period, inserted ignoring conflicts) and then moves every due customer, each in its own transaction.
A move first bumps the row's `version` where it still has the version read: of two runs or two
workers reaching the same customer, one wins and the other skips, and the messages a move queues
carry that version in their idempotency key, so nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from guanxi.care import facts, outbox, template_store, templates, unsubscribe
from guanxi.care.context import message_context
from guanxi.care.journeys import following
from guanxi.care.models import Campaign, Journey, JourneyMember, OutboxMessage
from guanxi.care.settings import CareSettings
from guanxi.care.triggers import candidates
from guanxi.customers import profiles
from guanxi.db import transaction, utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.errors import NotFound
from guanxi.privacy.crypto import PiiCipher

DUE = ("active", "waiting")
BATCH = 500
# Moves run every minute; looking for entrants walks a trigger's whole audience, so it runs hourly,
# like the campaigns' triggers (and again at once when the clock is set back, as the CLI and tests do).
ENTRY_EVERY = dt.timedelta(hours=1)


def _entry(journey: Journey) -> Campaign:
    # A transient campaign (never added to the session) so the campaigns' audience code chooses the entrants;
    # `journey_id` tells a trigger with a cursor (segment_triggers) where this journey's own entrants are.
    entry = Campaign(trigger=journey.trigger, params=dict(journey.params or {}), audience=dict(journey.audience or {}),
                     created_at=journey.created_at)
    entry.journey_id = journey.id
    return entry


def enter(session: Session, cipher: PiiCipher, care: CareSettings, journey: Journey, now: dt.datetime) -> int:
    entered = 0
    first = journey.steps[0]["id"]
    stmt = insert_ignoring_conflicts(session, JourneyMember, ["journey_id", "customer_id", "period"]) \
        .returning(JourneyMember.id)
    for cand in candidates(session, cipher, care, _entry(journey), now):
        new = session.scalar(stmt, {"journey_id": journey.id, "customer_id": cand.customer_id, "period": cand.period,
                                    "step": first, "status": "active", "next_run_at": now, "version": 0,
                                    "entered_at": now, "updated_at": now})
        entered += new is not None
    return entered


def _converted(session: Session, journey: Journey, member: JourneyMember, now: dt.datetime) -> bool:
    if not journey.goal_days or now < member.entered_at:
        return False
    return bool(facts.purchases_after(session, {member.customer_id: member.entered_at}, journey.goal_days))


def _holds(session: Session, step: dict, member: JourneyMember) -> bool:
    when = step["when"]
    if when in ("opened", "clicked"):
        msg = session.get(OutboxMessage, member.last_message_id) if member.last_message_id else None
        return msg is not None and (msg.opened_at if when == "opened" else msg.clicked_at) is not None
    if when == "ordered":
        return bool(facts.purchases_after(session, {member.customer_id: member.entered_at}, 10_000))
    if when == "tag":
        return bool(facts.matching(session, ids=[member.customer_id], tags=[step["value"]]))
    return bool(facts.matching(session, ids=[member.customer_id], city=step["value"]))


def _send(session: Session, cipher: PiiCipher, secret: str, care: CareSettings, journey: Journey,
          member: JourneyMember, step: dict, now: dt.datetime) -> int | None:
    customer = profiles.live_customer(session, member.customer_id)
    channel = step["channel"]
    template = template_store.find_template(session, step["template"], channel, customer.locale)
    if template is None:
        return None  # deleted after the journey was saved: the step is passed over, the journey goes on
    links = {"preferences": f"{care.public_url.rstrip('/')}/m"}
    if journey.purpose == "marketing":
        links["unsubscribe"] = unsubscribe.link(care.public_url, secret, customer.id, channel)
    context = message_context(session, cipher, customer.id, shop_name=care.shop_name, locale=template.locale,
                              links=links)
    subject, body = templates.render(template.subject, template.body, context)
    key = f"journey:{journey.id}:{step['id']}:{member.id}:{member.version}"
    expires = now + dt.timedelta(hours=care.expire_hours) if journey.purpose == "marketing" else None
    created = outbox.enqueue(session, cipher, outbox.Draft(
        key=key, customer_id=customer.id, channel=channel, purpose=journey.purpose, locale=template.locale,
        subject=subject, body=body, template_id=template.id, template_version=template.version,
        not_before=now, expires_at=expires))
    return created or session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key))


def move(session: Session, cipher: PiiCipher, secret: str, care: CareSettings, journey: Journey,
         member_id: int, version: int, now: dt.datetime, report: dict) -> None:
    """One customer's move: on from where they are until a wait, an exit or the end."""
    won = session.execute(update(JourneyMember).where(JourneyMember.id == member_id, JourneyMember.version == version,
                                                      JourneyMember.status.in_(DUE)).values(version=version + 1))
    if won.rowcount != 1:
        report["raced"] += 1
        return
    member = session.get(JourneyMember, member_id)
    session.refresh(member)
    member.updated_at = now
    if _converted(session, journey, member, now):
        member.status = "converted"
        report["converted"] += 1
        return
    steps = journey.steps
    index = {s["id"]: i for i, s in enumerate(steps)}
    at = index.get(member.step)
    # A waiting customer's wait is over; an active one does the step they are at.
    step_id = following(steps, at) if member.status == "waiting" and at is not None else member.step
    for _ in range(len(steps) + 1):  # saving refuses loops without a wait, so this ends
        if step_id not in index:
            member.status = "done"
            break
        step = steps[index[step_id]]
        member.step = step_id
        kind = step["type"]
        if kind == "exit":
            member.status = "done"
            break
        if kind == "wait":
            member.status = "waiting"
            member.next_run_at = now + dt.timedelta(days=step.get("days", 0), hours=step.get("hours", 0))
            break
        if kind == "send":
            try:
                message_id = _send(session, cipher, secret, care, journey, member, step, now)
            except NotFound:  # erased meanwhile
                member.status = "left"
                break
            if message_id is not None:
                member.last_message_id = message_id
                report["queued"] += 1
            step_id = following(steps, index[step_id])
        else:
            step_id = step["yes"] if _holds(session, step, member) else step["no"]
    if member.status == "done":
        report["done"] += 1
    report["moved"] += 1


def advance(factory: sessionmaker[Session], cipher: PiiCipher, secret: str, care: CareSettings, *,
            now: dt.datetime | None = None, journey_id: int | None = None) -> dict:
    """Let new customers in and move every due one; safe to run twice, late or on two workers."""
    now = now or utcnow()
    report = {"journeys": 0, "entered": 0, "moved": 0, "queued": 0, "converted": 0, "done": 0, "raced": 0}
    with factory() as session:
        stmt = select(Journey.id).where(Journey.status == "active").order_by(Journey.id)
        if journey_id is not None:
            stmt = stmt.where(Journey.id == journey_id)
        ids = list(session.scalars(stmt))
    for jid in ids:
        report["journeys"] += 1
        with transaction(factory) as session:
            journey = session.get(Journey, jid)
            last = journey.last_entry_at if journey is not None else None
            if journey is not None and journey.status == "active" and (
                    last is None or now >= last + ENTRY_EVERY or now < last):
                report["entered"] += enter(session, cipher, care, journey, now)
                journey.last_entry_at = now
        after = 0
        while after is not None:
            with factory() as session:
                due = session.execute(select(JourneyMember.id, JourneyMember.version).where(
                    JourneyMember.journey_id == jid, JourneyMember.status.in_(DUE), JourneyMember.next_run_at <= now,
                    JourneyMember.id > after).order_by(JourneyMember.id).limit(BATCH)).all()
            if not due:
                break
            for member_id, version in due:
                after = member_id
                with transaction(factory) as session:
                    journey = session.get(Journey, jid)
                    if journey is None or journey.status != "active":  # paused meanwhile: leave the rest
                        after = None
                        break
                    move(session, cipher, secret, care, journey, member_id, version, now, report)
    return report
