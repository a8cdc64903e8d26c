"""Triggers on loyalty, service, carts, anniversaries, refills, churn risk and a win-back ladder.

Each is registered in trigger_kinds and reached by triggers.candidates like the built-in ones;
each chooses a customer once per period (care_recipients), so a run that repeats or runs late
queues nothing twice. Other domains are read through their service functions only, imported
inside each finder (as bridges.py does) so care still loads where a domain is not installed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from sqlalchemy import select

from guanxi.care import facts, offers, trigger_facts
from guanxi.care.models import Recipient
from guanxi.care.quiet_hours import zone
from guanxi.care.trigger_kinds import Chosen, Kind, Run, register
from guanxi.care.trigger_rules import anniversary_due, check_ladder, ladder_step, rebuy_intervals, refill_reminder_day
from guanxi.errors import GuanxiError, Invalid

DAY = dt.timedelta(days=1)
GRACE_DAYS = 2  # a run missed for a day or two still reaches the customer (the period keeps it to once)
FIELDS = ("first_order", "signup", "membership")
_ATTRIBUTE = re.compile(r"^attributes\.[A-Za-z0-9_]{1,40}$")


def _local(ts: dt.datetime, tz: str | None) -> dt.date:
    return ts.astimezone(zone(tz)).date()


def _recent(r: Run, when: dt.datetime, tz: str, days: int) -> dt.date | None:
    """The local day of `when` if it is `days` (up to GRACE_DAYS more) before the customer's today."""
    day, today = _local(when, tz), r.local_today(tz)
    return day if today - (days + GRACE_DAYS) * DAY <= day <= today - days * DAY else None


def tier_upgrade(r: Run) -> Iterator[Chosen]:
    from guanxi.loyalty import tiers

    days = r.params.get("days", 0)
    ups = tiers.upgrades_between(r.session, r.now - (days + GRACE_DAYS + 1) * DAY, r.now + DAY)
    zones = trigger_facts.zones_of(r.session, [cid for cid, _, _ in ups])
    for cid, tier, at in ups:
        if cid in zones and (day := _recent(r, at, zones[cid], days)):
            yield Chosen(cid, f"tier:{tier}:{day.isoformat()}",
                         occasion={"key": "tier_upgrade", "date": day.isoformat(), "tier": tier})


def points_expiring(r: Run) -> Iterator[Chosen]:
    from guanxi.loyalty import expiry, store

    days = r.params.get("days", 7)
    lots = store.lots_expiring_between(r.session, r.now, r.now + days * DAY)
    zones = trigger_facts.zones_of(r.session, lots)
    for cid, own in lots.items():
        soon = expiry.expiring_soon(own, r.now, days)
        if cid not in zones or not soon:
            continue
        # only the soonest date: a later one is reminded once this one has passed
        last_day = _local(soon[0]["expires_at"], zones[cid]) - DAY  # expires at the start of the next local day
        yield Chosen(cid, f"points:{last_day.isoformat()}",
                     occasion={"key": "points_expiring", "date": last_day.isoformat(), "points": soon[0]["points"]})


def abandoned_cart(r: Run) -> Iterator[Chosen]:
    hours = dt.timedelta(hours=r.params.get("hours", 4))
    carts = trigger_facts.last_cart_events(r.session, r.now - hours - GRACE_DAYS * DAY, r.now - hours)
    bought = trigger_facts.ordered_since(r.session, {cid: at for _, cid, _, at in carts})
    for eid, cid, tz, at in carts:
        if cid not in bought:
            yield Chosen(cid, f"cart:{eid}", occasion={"key": "abandoned_cart", "date": _local(at, tz).isoformat()})


def ticket_resolved(r: Run) -> Iterator[Chosen]:
    from guanxi.service import tickets

    days = r.params.get("days", 2)
    rows = tickets.resolved_between(r.session, r.now - (days + GRACE_DAYS + 1) * DAY, r.now + DAY)
    zones = trigger_facts.zones_of(r.session, [cid for _, cid, _ in rows])
    for tid, cid, at in rows:
        if cid in zones and (day := _recent(r, at, zones[cid], days)):
            yield Chosen(cid, f"ticket:{tid}",
                         occasion={"key": "ticket_resolved", "date": day.isoformat(), "ticket_id": tid})


def _starts(r: Run, name: str) -> Iterator[tuple[int, str, dt.date]]:
    """(customer id, timezone, the local date the anniversary counts from)."""
    if name == "first_order":
        rows = trigger_facts.first_orders(r.session)
    elif name == "signup":
        rows = trigger_facts.signups(r.session)
    elif name == "membership":
        from guanxi.loyalty import membership

        since = membership.member_since(r.session)
        zones = trigger_facts.zones_of(r.session, since)
        rows = [(cid, zones[cid], at) for cid, at in since.items() if cid in zones]
    else:
        for cid, tz, raw in trigger_facts.attribute_dates(r.session, name.split(".", 1)[1]):
            try:
                yield cid, tz, dt.date.fromisoformat(raw[:10])
            except ValueError:
                continue  # not a date: nothing to celebrate
        return
    for cid, tz, at in rows:
        yield cid, tz, _local(at, tz)


def anniversary(r: Run) -> Iterator[Chosen]:
    name, before = r.params["field"], r.params.get("days_before", 0)
    for cid, tz, start in _starts(r, name):
        due = anniversary_due(start, r.local_today(tz), before)
        if due:
            yield Chosen(cid, f"anniversary:{name}:{due.year}", occasion={
                "key": "anniversary", "date": due.isoformat(), "field": name, "years": due.year - start.year})


def refill(r: Run) -> Iterator[Chosen]:
    from guanxi.customers import analytics_feed

    before, repeats = r.params.get("days_before", 3), r.params.get("min_repeats", 3)
    rows = list(analytics_feed.purchase_lines(r.session))
    zones = trigger_facts.zones_of(r.session, {row.customer_id for row in rows})
    lines, last = [], {}
    for row in rows:  # by customer, then time: the last line seen is the latest purchase
        if row.customer_id in zones:
            day = _local(row.placed_at, zones[row.customer_id])
            lines.append((row.customer_id, row.sku, day))
            last[(row.customer_id, row.sku)] = (day, row.order_id)
    intervals = rebuy_intervals(lines, repeats)
    for (cid, sku), (day, order_id) in sorted(last.items()):
        if sku not in intervals:
            continue
        remind = refill_reminder_day(day, intervals[sku], before)
        expected = day + dt.timedelta(days=round(intervals[sku]))
        if remind <= r.local_today(zones[cid]) <= min(remind + GRACE_DAYS * DAY, expected):
            yield Chosen(cid, f"refill:{sku}:{order_id}",
                         occasion={"key": "refill", "date": expected.isoformat(), "sku": sku})


def churn_risk(r: Run) -> Iterator[Chosen]:
    from guanxi.analytics import reports, segment_rules

    share = r.params.get("threshold", 70) / 100
    measure = r.params.get("measure", "churn_risk")
    rule = {"field": measure, "op": ">" if measure == "churn_risk" else "<", "value": share}
    ids = reports.member_ids(r.session, segment_rules.parse(rule), limit=10_000_000)
    for cid, tz in sorted(trigger_facts.zones_of(r.session, ids).items()):
        yield Chosen(cid, f"churn:{r.local_today(tz):%Y-%m}")


def winback_ladder(r: Run) -> Iterator[Chosen]:
    steps = r.params["offers"]
    low, high = steps[0]["days"], steps[-1]["days"]
    for cid, tz, last in facts.last_orders_between(r.session, r.now - (high + 9) * DAY, r.now - (low - 2) * DAY):
        last_day = _local(last, tz)
        step = ladder_step(steps, (r.local_today(tz) - last_day).days)
        if step is None:
            continue
        lapse = f"lapsed:{last_day.isoformat()}:"
        sent = [int(p.rsplit(":", 1)[1]) for p in r.session.scalars(select(Recipient.period).where(
            Recipient.campaign_id == r.campaign.id, Recipient.customer_id == cid, Recipient.period.startswith(lapse)))]
        if any(days > steps[step]["days"] for days in sent):
            continue  # never a smaller offer after a bigger one (the ladder was edited mid-lapse)
        yield Chosen(cid, f"{lapse}{steps[step]['days']}", offer=steps[step].get("offer") or r.campaign.offer)


def _field(value: object) -> None:
    if not isinstance(value, str) or not (value in FIELDS or _ATTRIBUTE.match(value)):
        raise ValueError("field is first_order, signup, membership or attributes.<name> (a YYYY-MM-DD profile attribute)")


def _measure(value: object) -> None:
    if value not in ("churn_risk", "p_alive"):
        raise ValueError("measure is churn_risk (above threshold %) or p_alive (below threshold %)")


def _ladder(value: object) -> None:
    problem = check_ladder(value)
    if problem:
        raise ValueError(problem)
    for step in value:
        try:
            offers.check(step.get("offer"))
        except GuanxiError as exc:
            raise ValueError(f"offers: {exc}") from None


class Bundle:
    """Several offers in one message (a coupon plus points): each issued once per message key."""

    def check(self, offer: dict) -> None:
        parts = offer.get("offers")
        if not isinstance(parts, list) or not 1 <= len(parts) <= 3 or \
                any(not isinstance(p, dict) or p.get("kind") == "bundle" for p in parts):
            raise Invalid('a bundle offer is {"kind": "bundle", "offers": [1 to 3 offers, not bundles]}')
        for part in parts:
            offers.check(part)

    def issue(self, session, customer_id: int, offer: dict, key: str) -> dict:
        given = [offers.issue(session, customer_id, part, f"{key}:{i}") for i, part in enumerate(offer["offers"])]
        return {"kind": "bundle", "code": next((g["code"] for g in given if g["code"]), ""),
                "title": " + ".join(g["title"] for g in given if g["title"]),
                "points": sum(g["points"] for g in given), "expires": next((g["expires"] for g in given if g["expires"]), "")}


def member_event(r: Run) -> Iterator[Chosen]:
    """Invitations: the event's audience, once per member (period `event:<id>`), until the event starts."""
    from guanxi.loyalty import activities

    try:
        row = activities.event(r.session, r.params["event_id"])
    except GuanxiError:  # deleted or never there: nobody to invite
        return
    if row.status != "open" or r.now >= row.starts_at:
        return
    ids = activities.audience_ids(r.session, row.audience)
    zones = dict(facts.matching(r.session)) if ids is None else trigger_facts.zones_of(r.session, ids)
    link = f"{r.care.public_url.rstrip('/')}/m/#activities"
    for cid, tz in zones.items():
        local = row.starts_at.astimezone(zone(tz))
        yield Chosen(cid, f"event:{row.id}", occasion={
            "key": "member_event", "date": local.date().isoformat(), "time": local.strftime("%H:%M"),
            "title": row.title, "link": link})


def trial_review(r: Run) -> Iterator[Chosen]:
    """A review request `days` after a trial parcel was delivered, once per participant and trial."""
    from guanxi.loyalty import activities

    days = r.params.get("days", 3)
    delivered = activities.delivered_between(r.session, r.now - (days + GRACE_DAYS + 1) * DAY, r.now + DAY)
    zones = trigger_facts.zones_of(r.session, [cid for cid, _, _, _ in delivered])
    for cid, trial_id, title, at in delivered:
        if cid in zones and (day := _recent(r, at, zones[cid], days)):
            yield Chosen(cid, f"trial:{trial_id}", occasion={"key": "trial_review", "date": day.isoformat(),
                                                              "title": title})


offers.register("bundle", Bundle())
register("tier_upgrade", Kind({"days": (0, 0, 60)}, tier_upgrade))
register("points_expiring", Kind({"days": (7, 1, 90)}, points_expiring))
register("abandoned_cart", Kind({"hours": (4, 1, 168)}, abandoned_cart))
register("ticket_resolved", Kind({"days": (2, 0, 60)}, ticket_resolved))
register("anniversary", Kind({"days_before": (0, 0, 60)}, anniversary, {"field": _field}, ("field",)))
register("refill", Kind({"days_before": (3, 0, 60), "min_repeats": (3, 1, 100)}, refill))
register("churn_risk", Kind({"threshold": (70, 1, 99)}, churn_risk, {"measure": _measure}))
register("winback_ladder", Kind({}, winback_ladder, {"offers": _ladder}, ("offers",)))
# event_id is an integer param (no default: 0 is out of range), so the campaign form's number field sets it
register("member_event", Kind({"event_id": (0, 1, 2**31 - 1)}, member_event))
register("trial_review", Kind({"days": (3, 0, 60)}, trial_review))
