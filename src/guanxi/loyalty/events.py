"""Member events on storage: record an event once, award what the event rules in force say, explain it.

Events arrive three ways: `POST /api/v1/loyalty/events` (the shop or staff), the customers
domain's event feed (the `loyalty.credit_events` job), and the loyalty domain's own jobs
(birthdays) and neighbours (the social domain's moderated reviews). Every way ends in record(),
idempotent on (source, external id): a replay answers with the first result and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.customers import loyalty_feed, profiles
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.loyalty import budgets, event_rules, store
from guanxi.loyalty.earning import RuleBook, _read_cursor
from guanxi.loyalty.event_rules import EVENTS, RuleHistory
from guanxi.loyalty.models import EventAward, LoyaltyEvent

SOURCE = "event"          # the ledger's source for event points
FEED_SOURCE = "customer_event"
# The customers domain's event kinds that are loyalty events; a "custom" event names its kind in
# properties["name"]. Reviews are not taken from the feed: they earn once moderated (social domain).
FEED_KINDS = {"sign_up": "sign_up", "share": "share"}
FEED_CUSTOM = ("profile_completed", "survey_answered", "check_in")


@dataclass
class Recorded:
    event: LoyaltyEvent
    created: bool


def _history(session: Session, customer_id: int, names: list[str], day: dt.date) -> dict[str, RuleHistory]:
    """What each rule has given the member, by the event's local day, month and year (the limits' counts)."""
    if not names:
        return {}
    today, month, year = day.isoformat(), day.isoformat()[:7], day.isoformat()[:4]
    rows = session.execute(select(EventAward.rule, EventAward.local_day).where(
        EventAward.customer_id == customer_id, EventAward.rule.in_(names))).all()
    out = {}
    for name in names:
        days = [d for rule, d in rows if rule == name]
        out[name] = RuleHistory(
            today=sum(d == today for d in days), this_month=sum(d[:7] == month for d in days),
            this_year=sum(d[:4] == year for d in days), lifetime=len(days),
            days=frozenset(dt.date.fromisoformat(d) for d in days if d < today))
    return out


def _seen(session: Session, source: str, external_id: str) -> LoyaltyEvent | None:
    return session.scalar(select(LoyaltyEvent).where(LoyaltyEvent.source == source,
                                                     LoyaltyEvent.external_id == external_id))


def record(session: Session, customer_id: int, kind: str, *, source: str, external_id: str,
           occurred_at: dt.datetime | None = None, now: dt.datetime | None = None, day: dt.date | None = None,
           default_rules: dict[str, dict] | None = None, book: RuleBook | None = None) -> Recorded:
    """Record a member event and award its points (available at once); a known (source, external id) is a replay.

    `day`: the member's local day the event belongs to, when not the day of `occurred_at` (a birthday
    granted late). `default_rules`: event rules to use when no rule for this kind is in force (the
    social domain's review points when the shop has set none). `book`: the rules, loaded once for a batch.
    """
    now = now or utcnow()
    occurred_at = occurred_at or now
    if kind not in EVENTS:
        raise Invalid(f"kind: one of {', '.join(EVENTS)}", errors=[{"loc": ["body", "kind"], "msg": ", ".join(EVENTS)}])
    seen = _seen(session, source, external_id)
    if seen is not None:
        return Recorded(seen, False)
    customer = profiles.live_customer(session, customer_id)
    tz = customer.timezone or "UTC"
    book = book or RuleBook(session)
    rules = {n: d for n, d in book.at(min(occurred_at, now)).items()
             if d.get("kind") == "event" and d.get("event") == kind}
    if not rules and default_rules:
        rules = {n: d for n, d in default_rules.items() if d.get("event") == kind}
    spend = budgets.Spend(session, budgets.budgets_in(rules), now=now)   # budget rows before the balance row
    account = store.open_account(session, customer.id)
    seen = _seen(session, source, external_id)   # recorded while we waited for the lock
    if seen is not None:
        return Recorded(seen, False)
    local = day or event_rules.local_day(occurred_at, tz)
    award = event_rules.evaluate(kind, occurred_at, tz, rules, _history(session, customer.id, sorted(rules), local),
                                 budgets=spend.left(rules), day=local)
    if not rules:
        award.explanations.append(f"no event rule for {kind}")
    event = LoyaltyEvent(source=source, external_id=external_id, customer_id=customer.id, kind=kind,
                         occurred_at=occurred_at, local_day=local.isoformat(), points=award.points,
                         explanations=award.explanations, created_at=now)
    session.add(event)
    session.flush()
    session.add_all([EventAward(event_id=event.id, customer_id=customer.id, rule=name, local_day=local.isoformat(),
                                points=pts) for name, pts in award.by_rule.items()])
    if award.points > 0:
        ref = f"{source}:{external_id}"
        lot = account.new_lot(points=award.points, earned_at=occurred_at, available_at=now,
                              expires_at=store.expires_for(session, occurred_at, tz), source=SOURCE, ref=ref,
                              rule=",".join(award.by_rule)[:200],
                              details={"event": kind, "explanations": award.explanations})
        entries = account.book.expire_due(now)
        earn = account.book.earn(lot, now=now)
        earn.details = {"event": kind, "explanations": award.explanations}
        event.entry_id = account.write([*entries, earn])[-1].id
    spend.charge(award.budget_use)
    spend.save()
    session.flush()
    return Recorded(event, True)


def credit_feed(factory, *, now: dt.datetime, batch: int = 500) -> dict:
    """Loyalty events from the customers domain's event feed, page by page (each page one transaction)."""
    seen = awarded = 0
    while True:
        with factory() as session:
            cursor = _read_cursor(session, "events")
            page = loyalty_feed.events_after(session, cursor.position, batch,
                                             kinds=tuple(FEED_KINDS) + ("custom",))
            book = RuleBook(session)
            for ev in page:
                kind = FEED_KINDS.get(ev.kind) or (ev.properties or {}).get("name")
                if kind in EVENTS and (ev.kind != "custom" or kind in FEED_CUSTOM):
                    try:
                        done = record(session, ev.customer_id, kind, source=FEED_SOURCE, external_id=str(ev.id),
                                      occurred_at=ev.occurred_at, now=now, book=book)
                    except NotFound:  # the person was erased since: nothing to award, the feed goes on
                        continue
                    seen += 1
                    awarded += done.event.points if done.created else 0
            if page:
                cursor.position = page[-1].id
            session.commit()
        if len(page) < batch:
            break
    return {"events": seen, "event_points": awarded}


def grant_birthdays(factory, cipher, *, now: dt.datetime) -> dict:
    """Birthday points on the member's local birthday (29 February: 28 February in common years).

    Daily; a member whose birthday was yesterday in their zone and who got nothing yet (the job ran
    late) still gets it. Once a year: the event's id is the member and the birthday's year.
    """
    from guanxi.care import facts  # the read-only bulk birthday queries (blind index by zone)
    from guanxi.care.occasions import birthday_in_year, md_keys

    granted = 0
    with factory() as session:
        book = RuleBook(session)
        if not any(d.get("event") == "birthday" for d in book.at(now).values()):
            return {"birthdays": 0}
        for tz in facts.timezones(session):
            today = event_rules.local_day(now, tz)
            for target in (today - dt.timedelta(days=1), today):
                hashes = [cipher.blind_index("birthday_md", k) for k in md_keys(target)]
                for cid, enc in facts.birthdays_in(session, tz, hashes):
                    text = cipher.decrypt(enc, context="birthday") if enc else None
                    if text and birthday_in_year(text, target.year) == target:
                        done = record(session, cid, "birthday", source="birthday", external_id=f"{cid}:{target.year}",
                                      occurred_at=now, now=now, day=target, book=book)
                        granted += done.created and done.event.points > 0
        session.commit()
    return {"birthdays": granted}


def events_of(session: Session, customer_id: int, limit: int = 100) -> list[LoyaltyEvent]:
    return list(session.scalars(select(LoyaltyEvent).where(LoyaltyEvent.customer_id == customer_id)
                                .order_by(LoyaltyEvent.occurred_at.desc(), LoyaltyEvent.id.desc()).limit(limit)))
