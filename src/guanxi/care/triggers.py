"""Trigger runs: who each active campaign reaches now, once per customer per period.

Every choice is a care_recipients row keyed by (campaign, customer, period), so a run that
repeats, runs late or runs on two workers queues nothing twice. Dates are the customer's own:
a trigger asks what day it is in each customer's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import islice
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from guanxi.care import bridges  # noqa: F401  (loyalty points and tier, analytics segments, when present)
from guanxi.care import approval, campaigns, facts, offers, outbox, segments, template_store, templates, unsubscribe
from guanxi.care import more_triggers  # noqa: F401  (registers the triggers of trigger_kinds)
from guanxi.care.assignment import assign
from guanxi.care.context import fields_for as context_fields
from guanxi.care.context import message_context
from guanxi.care.models import Campaign, Recipient
from guanxi.care.occasions import birthday_due, md_keys, occasions_on
from guanxi.care.quiet_hours import zone
from guanxi.care.settings import CareSettings
from guanxi.care.trigger_kinds import KINDS, Run
from guanxi.customers import purchases
from guanxi.db import transaction, utcnow
from guanxi.dialect import insert_ignoring_conflicts
from guanxi.privacy import audit
from guanxi.privacy.crypto import PiiCipher
from guanxi.staff.roles import SYSTEM

DAY = dt.timedelta(days=1)


@dataclass
class Candidate:
    customer_id: int
    period: str
    occasion: dict | None = None
    order: dict | None = None
    offer: dict | None = None  # instead of the campaign's offer (a win-back ladder's step)


@dataclass
class RunReport:
    chosen: int = 0
    queued: int = 0
    control: int = 0
    repeated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _local(ts: dt.datetime, tz: str | None) -> dt.date:
    return ts.astimezone(zone(tz)).date()


def candidates(session: Session, cipher: PiiCipher, care: CareSettings, campaign: Campaign, now: dt.datetime,
               today: dt.date | None = None) -> Iterator[Candidate]:
    """The campaign's audience at `now`; `today` (the CLI's --date) stands for every customer's local date."""
    p = campaign.params or {}

    def local_today(tz: str | None) -> dt.date:
        return today or _local(now, tz)

    trigger = campaign.trigger
    if trigger == "birthday":
        for tz in facts.timezones(session):
            lt = local_today(tz)
            target = lt + dt.timedelta(days=p.get("days_before", 0))
            hashes = [cipher.blind_index("birthday_md", k) for k in md_keys(target)]
            for cid, enc in facts.birthdays_in(session, tz, hashes):
                if birthday_due(cipher.decrypt(enc, context="birthday"), lt, p.get("days_before", 0)):
                    yield Candidate(cid, f"birthday:{target.year}", occasion={"key": "birthday", "date": target.isoformat()})
    elif trigger == "holiday":
        for tz in facts.timezones(session):
            target = local_today(tz) + dt.timedelta(days=p.get("days_before", 0))
            if p["occasion"] in occasions_on(target, member_day=care.member_day, custom=care.occasions):
                for cid in facts.customers_in(session, tz):
                    yield Candidate(cid, f"{p['occasion']}:{target.isoformat()}",
                                    occasion={"key": p["occasion"], "date": target.isoformat()})
    elif trigger == "order_followup":
        days = p.get("days", 3)
        seen = set()
        for _sid, oid, ext, cid, tz, delivered_at in facts.deliveries_between(session, now - (days + 2) * DAY,
                                                                                now - (days - 2) * DAY):
            if _local(delivered_at, tz) == local_today(tz) - days * DAY and oid not in seen:
                seen.add(oid)
                yield Candidate(cid, f"order:{oid}", order={"id": oid, "external_id": ext,
                                                            "delivered_at": _local(delivered_at, tz).isoformat()})
    elif trigger == "first_order":
        days = p.get("days", 0)
        for cid, tz, first in facts.first_orders_between(session, now - (days + 4) * DAY, now + DAY):
            lt = local_today(tz)
            if lt - (days + 2) * DAY <= _local(first, tz) <= lt - days * DAY:
                yield Candidate(cid, "welcome")
    elif trigger == "winback":
        days = p.get("days", 90)
        for cid, tz, last in facts.last_orders_between(session, now - (days + 9) * DAY, now - (days - 2) * DAY):
            lt = local_today(tz)
            last_day = _local(last, tz)
            if lt - (days + 7) * DAY <= last_day <= lt - days * DAY:
                yield Candidate(cid, f"lapsed:{last_day.isoformat()}")
    elif trigger == "stuck_shipment":
        for sid, oid, ext, cid, _tz in facts.stuck(session):
            yield Candidate(cid, f"shipment:{sid}", order={"id": oid, "external_id": ext})
    elif trigger in KINDS:
        for chosen in KINDS[trigger].find(Run(session, cipher, care, campaign, now, today)):
            yield Candidate(*chosen)
    else:
        aud = campaign.audience or {}
        flt = aud.get("filter") or {}
        ids = aud.get("customer_ids")
        if aud.get("segment_id"):
            in_segment = segments.members(session, aud["segment_id"])
            ids = in_segment if ids is None else sorted(set(ids) & set(in_segment))
        if aud.get("community_id"):
            in_group = segments.members(session, aud["community_id"], segments.COMMUNITY)
            ids = in_group if ids is None else sorted(set(ids) & set(in_group))
        if aud.get("buyers_of"):  # a recall or a delay for one product, or one batch of it
            since, until = campaigns.buyers_window(aud["buyers_of"])
            bought = purchases.buyers_of(session, aud["buyers_of"]["sku"].strip(), since=since, until=until)
            ids = bought if ids is None else sorted(set(ids) & set(bought))
        rows = facts.matching(session, ids=ids, tags=flt.get("tags"), city=flt.get("city"),
                              acquisition_channel=flt.get("acquisition_channel"))
        for cid, _tz in rows:
            yield Candidate(cid, p.get("period") or "once")


CHUNK = 1000  # candidates chosen and queued per round trip: one recipients INSERT, one outbox INSERT


def _choose_many(session: Session, campaign: Campaign, chunk: list[Candidate], now: dt.datetime,
                 report: RunReport) -> list[tuple[Candidate, str, bool]]:
    """Record the chunk's recipients; (candidate, variant, control) for each one new in its period."""
    weights = [(v["name"], v["weight"]) for v in campaign.variants]
    rows, by_key = [], {}
    for cand in chunk:
        if (cand.customer_id, cand.period) in by_key:  # the same choice twice in one chunk
            report.repeated += 1
            continue
        variant, control = assign(campaign.id, cand.customer_id, weights, campaign.control_percent)
        by_key[(cand.customer_id, cand.period)] = (cand, variant, control)
        rows.append({"campaign_id": campaign.id, "customer_id": cand.customer_id, "period": cand.period,
                     "variant": variant, "control": control, "at": now})
    if not rows:
        return []
    table = Recipient.__table__
    stmt = insert_ignoring_conflicts(session, table, ["campaign_id", "customer_id", "period"]).returning(
        table.c.customer_id, table.c.period)
    new = {(cid, period) for cid, period in session.execute(stmt, rows)}
    report.repeated += len(rows) - len(new)
    return [by_key[k] for k in by_key if k in new]


def _queue_many(session: Session, cipher: PiiCipher, secret: str, care: CareSettings, campaign: Campaign,
                picked: list[tuple[Candidate, str]], now: dt.datetime, report: RunReport,
                found_templates: dict) -> None:
    """Render and queue one message per picked candidate; customers, consents and fields load per chunk."""
    customers = facts.live_customers(session, [cand.customer_id for cand, _ in picked])
    live_ids = sorted({c.id for c in customers.values()})
    states = facts.consent_states(session, live_ids)
    start = max(now, campaign.starts_at) if campaign.starts_at else now
    expires = start + dt.timedelta(hours=care.expire_hours) if campaign.purpose == "marketing" else None
    ready = []
    for cand, variant in picked:
        customer = customers.get(cand.customer_id)
        if customer is None:
            report.skip("erased")
            continue
        state = states.get(customer.id, {})
        consenting = [c for c in campaign.channels if outbox.consented_in(state, c, campaign.purpose)]
        channel = (consenting or campaign.channels)[0]  # without consent it is queued and suppressed, so counted
        name = next(v["template"] for v in campaign.variants if v["name"] == variant)
        if (name, channel, customer.locale) not in found_templates:
            found_templates[(name, channel, customer.locale)] = template_store.find_template(
                session, name, channel, customer.locale)
        template = found_templates[(name, channel, customer.locale)]
        if template is None:
            report.skip("no_template")
            continue
        key = f"campaign:{campaign.id}:{customer.id}:{cand.period}"
        offer = offers.issue(session, customer.id, cand.offer or campaign.offer, key)
        ready.append((cand, variant, customer, state, channel, template, key, offer))
    # After the offers: the text shows the points balance including the points just given.
    fields = context_fields(session, sorted({r[2].id for r in ready}))
    drafts = []
    for cand, variant, customer, state, channel, template, key, offer in ready:
        links = {"preferences": f"{care.public_url.rstrip('/')}/m"}
        if campaign.purpose == "marketing":
            links["unsubscribe"] = unsubscribe.link(care.public_url, secret, customer.id, channel)
        ctx = message_context(session, cipher, customer.id, shop_name=care.shop_name, locale=template.locale,
                              offer=offer, occasion=cand.occasion, order=cand.order, links=links,
                              customer=customer, consent_state=state, fields=fields.get(customer.id))
        subject, body = templates.render(template.subject, template.body, ctx)
        drafts.append(outbox.Draft(
            key=key, customer_id=customer.id, channel=channel, purpose=campaign.purpose, locale=template.locale,
            subject=subject, body=body, campaign_id=campaign.id, template_id=template.id,
            template_version=template.version, variant=variant, priority=campaign.priority, not_before=start,
            expires_at=expires))
    created = outbox.enqueue_many(session, cipher, drafts)
    report.queued += len(created)
    report.repeated += len(drafts) - len(created)


def run_campaign(session: Session, cipher: PiiCipher, secret: str, care: CareSettings, campaign: Campaign,
                 now: dt.datetime, today: dt.date | None = None) -> RunReport:
    report = RunReport()
    found_templates: dict = {}  # (template name, channel, locale) -> the template, looked up once per run
    pending = iter(candidates(session, cipher, care, campaign, now, today))
    while chunk := list(islice(pending, CHUNK)):
        chosen = _choose_many(session, campaign, chunk, now, report)
        report.chosen += len(chosen)
        report.control += sum(1 for _, _, control in chosen if control)
        picked = [(cand, variant) for cand, variant, control in chosen if not control]
        if picked:
            _queue_many(session, cipher, secret, care, campaign, picked, now, report, found_templates)
    return report


def dry_run(session: Session, cipher: PiiCipher, care: CareSettings, campaign: Campaign, now: dt.datetime,
            today: dt.date | None = None) -> dict:
    """Who would receive the campaign now, and who is left out and why (nothing is written)."""
    counts = {"audience": 0, "already_reached": 0, "control": 0, "would_send": 0, "no_consent": 0}
    for cand in candidates(session, cipher, care, campaign, now, today):
        counts["audience"] += 1
        if session.scalar(select(Recipient.id).where(Recipient.campaign_id == campaign.id,
                                                     Recipient.customer_id == cand.customer_id,
                                                     Recipient.period == cand.period)):
            counts["already_reached"] += 1
            continue
        _, control = assign(campaign.id, cand.customer_id, [(v["name"], v["weight"]) for v in campaign.variants],
                            campaign.control_percent)
        if control:
            counts["control"] += 1
        elif any(outbox.consented(session, cand.customer_id, c, campaign.purpose) for c in campaign.channels):
            counts["would_send"] += 1
        else:
            counts["no_consent"] += 1
    return counts


def run_triggers(factory: sessionmaker[Session], cipher: PiiCipher, secret: str, care: CareSettings, *,
                 now: dt.datetime | None = None, today: dt.date | None = None,
                 campaign_id: int | None = None) -> dict[int, dict]:
    """Run every active campaign in its schedule (or one), each in its own transaction."""
    now = now or utcnow()
    with factory() as session:
        stmt = select(Campaign.id).where(Campaign.status == "active").order_by(Campaign.priority.desc(), Campaign.id)
        if campaign_id is not None:
            stmt = stmt.where(Campaign.id == campaign_id)
        ids = list(session.scalars(stmt))
    results = {}
    for cid in ids:
        with transaction(factory) as session:
            campaign = session.get(Campaign, cid)
            if (campaign.starts_at and now < campaign.starts_at) or (campaign.ends_at and now >= campaign.ends_at):
                continue
            # Checked on every run, not only when it started: a template edited since may have gained a word
            # banned in ads (极限词), and an edit since its approval cleared it.
            if not approval.is_approved(campaign, care.require_approval):
                results[cid] = {**RunReport().__dict__, "blocked": ["not approved by a second staff member"]}
                continue
            problems = campaigns.readiness(session, campaign)
            if problems:
                results[cid] = {**RunReport().__dict__, "blocked": problems}
                continue
            results[cid] = run_campaign(session, cipher, secret, care, campaign, now, today).__dict__
            if campaign.purpose == "service" and results[cid]["queued"]:
                # A recall or a crisis statement is on the record: who was told what, and when.
                audit.record(session, "care_service_notice_queued", SYSTEM, subject_type="care_campaign",
                             subject_id=campaign.id, queued=results[cid]["queued"],
                             audience=campaign.audience or {"trigger": campaign.trigger})
    return results
