"""Campaigns: an audience (a trigger, a list or a simple filter), a message per channel and locale
(one template name per A/B variant), an optional offer, a schedule and limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.care import approval, facts, more_triggers, offers, segment_triggers, templates, tracking, trigger_kinds  # noqa: F401  (more_triggers, segment_triggers register)
from guanxi.care.assignment import CONTROL
from guanxi.care.caps import parse_caps
from guanxi.care.models import Campaign, CareTemplate, OutboxMessage, Recipient
from guanxi.care.occasions import OCCASIONS
from guanxi.care.uplift import GroupFigures, uplift
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.staff.roles import Actor

# trigger -> its integer parameters with (default, lowest, highest)
TRIGGERS: dict[str, dict[str, tuple[int, int, int]]] = {
    "birthday": {"days_before": (0, 0, 60)},
    "holiday": {"days_before": (0, 0, 60)},
    "order_followup": {"days": (3, 0, 365)},
    "first_order": {"days": (0, 0, 60)},
    "winback": {"days": (90, 7, 1000)},
    "stuck_shipment": {},
    **{name: kind.ints for name, kind in trigger_kinds.KINDS.items()},
}
STATUSES = ("draft", "active", "paused", "ended")
# Audiences of a campaign without a trigger; keys given together narrow each other.
AUDIENCE_KEYS = ("customer_ids", "filter", "segment_id", "community_id", "buyers_of")
BUYERS_HELP = 'buyers_of is {"sku": "TEA-01", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (dates optional, UTC, inclusive)'


def buyers_window(spec: dict) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The order dates of a buyers_of audience as [since, until) in UTC; a batch is the window it was sold in."""
    def day(key: str) -> dt.date | None:
        return dt.date.fromisoformat(spec[key]) if spec.get(key) else None

    start, end = day("from"), day("to")
    return (dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC) if start else None,
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC) if end else None)


def _check_buyers(spec) -> None:
    if not isinstance(spec, dict) or set(spec) - {"sku", "from", "to"} or not isinstance(spec.get("sku"), str) \
            or not 1 <= len(spec["sku"].strip()) <= 100:
        raise _bad("audience", BUYERS_HELP)
    try:
        if any(spec.get(k) is not None and not isinstance(spec[k], str) for k in ("from", "to")):
            raise ValueError
        since, until = buyers_window(spec)
    except ValueError:
        raise _bad("audience", BUYERS_HELP) from None
    if since and until and until <= since:
        raise _bad("audience", "buyers_of: the 'to' date is on or after the 'from' date")


@dataclass
class CampaignSpec:
    name: str
    channels: list[str]
    variants: list[dict]
    purpose: str = "marketing"
    trigger: str | None = None
    params: dict = field(default_factory=dict)
    audience: dict = field(default_factory=dict)
    control_percent: int = 0
    offer: dict | None = None
    caps: str = ""
    priority: int = 0
    conversion_days: int = 7
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


def _bad(where: str, msg: str) -> Invalid:
    return Invalid(msg, errors=[{"loc": ["body", where], "msg": msg}])


def check_spec(spec: CampaignSpec, custom_occasions: dict | None = None) -> CampaignSpec:
    if not spec.name.strip() or len(spec.name) > 200:
        raise _bad("name", "a campaign name is 1 to 200 characters")
    if spec.purpose not in ("marketing", "service"):
        raise _bad("purpose", "purpose is marketing or service")
    if not spec.channels or any(c not in templates.CHANNELS for c in spec.channels) \
            or len(set(spec.channels)) != len(spec.channels):
        raise _bad("channels", f"channels: one or more of {', '.join(templates.CHANNELS)}, each once")
    if not spec.variants:
        raise _bad("variants", "a campaign needs at least one variant")
    names = set()
    for v in spec.variants:
        if set(v) - {"name", "template", "weight"} or not isinstance(v.get("template"), str) or not v["template"]:
            raise _bad("variants", 'a variant is {"name": "A", "template": "<template name>", "weight": 1}')
        v.setdefault("name", "A")
        v.setdefault("weight", 1)
        if v["name"] == CONTROL or v["name"] in names or not isinstance(v["weight"], int) or v["weight"] < 1:
            raise _bad("variants", "variant names are unique (not 'control') with a weight of 1 or more")
        names.add(v["name"])
    if not 0 <= spec.control_percent <= 50:
        raise _bad("control_percent", "the hold-out group is 0 to 50 percent")
    if spec.trigger is None:
        ids, flt, seg, group, buyers = (spec.audience.get(k) for k in AUDIENCE_KEYS)
        if set(spec.audience) - set(AUDIENCE_KEYS) or (not ids and not flt and not seg and not group and not buyers):
            raise _bad("audience", 'without a trigger, name the audience: {"customer_ids": [...]}, '
                                   '{"segment_id": n}, {"community_id": n}, {"filter": {...}} or '
                                   '{"buyers_of": {"sku": "..."}}')
        if buyers is not None:
            _check_buyers(buyers)
        if seg is not None and (not isinstance(seg, int) or isinstance(seg, bool) or seg < 1):
            raise _bad("audience", "segment_id is a saved segment's id")
        if group is not None and (not isinstance(group, int) or isinstance(group, bool) or group < 1):
            raise _bad("audience", "community_id is a community's id (GET /api/v1/social/communities)")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int) for i in ids)):
            raise _bad("audience", "customer_ids is a list of ids")
        if flt is not None and (not isinstance(flt, dict) or set(flt) - {"tags", "city", "acquisition_channel"}):
            raise _bad("audience", "a filter has tags, city and/or acquisition_channel")
    elif spec.trigger not in TRIGGERS:
        raise _bad("trigger", f"unknown trigger; use one of {', '.join(TRIGGERS)}")
    else:
        allowed = TRIGGERS[spec.trigger]
        kind = trigger_kinds.KINDS.get(spec.trigger)
        extra = set(spec.params) - set(allowed) - ({"occasion"} if spec.trigger == "holiday" else set()) \
            - (set(kind.other) if kind else set())
        if extra:
            raise _bad("params", f"unknown parameter(s) for {spec.trigger}: {', '.join(sorted(extra))}")
        for key, (default, low, high) in allowed.items():
            value = spec.params.setdefault(key, default)
            if not isinstance(value, int) or not low <= value <= high:
                raise _bad("params", f"{key} is a whole number from {low} to {high}")
        if kind:
            try:
                trigger_kinds.check_params(spec.trigger, spec.params)
            except trigger_kinds.ParamError as exc:
                raise Invalid(str(exc) if str(exc).startswith(exc.param) else f"{exc.param}: {exc}", errors=[
                    {"loc": ["body", "params", exc.param], "msg": str(exc)}]) from None
        if spec.trigger == "holiday":
            known = (*OCCASIONS, *(custom_occasions or {}))
            if spec.params.get("occasion") not in known:
                raise _bad("params", f"occasion is one of {', '.join(known)}")
    try:
        parse_caps(spec.caps)
    except ValueError as exc:
        raise _bad("caps", str(exc)) from None
    offers.check(spec.offer)
    if not 1 <= spec.conversion_days <= 90:
        raise _bad("conversion_days", "conversion_days is 1 to 90")
    if spec.starts_at and spec.ends_at and spec.ends_at <= spec.starts_at:
        raise _bad("ends_at", "a campaign ends after it starts")
    return spec


def create_campaign(session: Session, actor: Actor, spec: CampaignSpec, custom_occasions: dict | None = None) -> Campaign:
    check_spec(spec, custom_occasions)
    row = Campaign(**{f.name: getattr(spec, f.name) for f in fields(spec)}, status="draft", created_by=actor.ref)
    session.add(row)
    session.flush()
    audit.record(session, "care_campaign_created", actor, subject_type="care_campaign", subject_id=row.id, name=spec.name)
    return row


def update_campaign(session: Session, actor: Actor, campaign_id: int, spec: CampaignSpec,
                    custom_occasions: dict | None = None) -> Campaign:
    row = get_campaign(session, campaign_id)
    if row.status == "ended":
        raise Conflict("an ended campaign cannot change")
    check_spec(spec, custom_occasions)
    for f in fields(spec):
        setattr(row, f.name, getattr(spec, f.name))
    row.updated_at, row.edited_by = utcnow(), actor.ref
    approval.withdraw(session, actor, row, reason="edited")  # the approver read the old version, not this one
    audit.record(session, "care_campaign_updated", actor, subject_type="care_campaign", subject_id=row.id)
    return row


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise NotFound(f"no campaign {campaign_id}")
    return row


def list_campaigns(session: Session, status: str | None = None) -> list[Campaign]:
    stmt = select(Campaign).order_by(Campaign.id.desc())
    if status:
        stmt = stmt.where(Campaign.status == status)
    return list(session.scalars(stmt))


def readiness(session: Session, campaign: Campaign) -> list[str]:
    """What stops the campaign from sending: missing templates, words banned in ads."""
    problems = []
    for variant in campaign.variants:
        for channel in campaign.channels:
            rows = list(session.scalars(select(CareTemplate).where(CareTemplate.name == variant["template"],
                                                                   CareTemplate.channel == channel)))
            if not rows:
                problems.append(f"no {channel} template named {variant['template']!r}")
            if campaign.purpose == "marketing":
                for r in rows:
                    words = templates.banned_words(r.subject, r.body)
                    if words:
                        problems.append(f"template {r.name!r} ({r.channel}, {r.locale}) uses words banned in ads: "
                                        f"{', '.join(words)}")
    return problems


def set_status(session: Session, actor: Actor, campaign_id: int, status: str, *,
               require_approval: bool = False) -> Campaign:
    if status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    row = get_campaign(session, campaign_id)
    if row.status == "ended" and status != "ended":
        raise Conflict("an ended campaign stays ended")
    if status == "active":
        approval.check_can_run(row, require_approval)
        problems = readiness(session, row)
        if problems:
            raise Conflict("the campaign cannot start: " + "; ".join(problems), errors=[
                {"loc": ["campaign"], "msg": p} for p in problems])
    row.status, row.updated_at = status, utcnow()
    audit.record(session, "care_campaign_status", actor, subject_type="care_campaign", subject_id=row.id, status=status)
    return row


def report(session: Session, campaign_id: int) -> dict:
    """Outbox counts, recipients per variant and control, conversions, revenue and uplift."""
    campaign = get_campaign(session, campaign_id)
    statuses = dict(session.execute(select(OutboxMessage.status, func.count()).where(
        OutboxMessage.campaign_id == campaign.id).group_by(OutboxMessage.status)).all())
    reasons = dict(session.execute(select(OutboxMessage.reason, func.count()).where(
        OutboxMessage.campaign_id == campaign.id, OutboxMessage.status == "suppressed")
        .group_by(OutboxMessage.reason)).all())
    starts: dict[str, dict[int, dt.datetime]] = {}
    for variant, cid, at in session.execute(select(Recipient.variant, Recipient.customer_id, Recipient.at)
                                            .where(Recipient.campaign_id == campaign.id)):
        group = starts.setdefault(variant, {})
        group[cid] = min(at, group.get(cid, at))
    figures = {}
    for variant, group in starts.items():
        bought = facts.purchases_after(session, group, campaign.conversion_days)
        figures[variant] = GroupFigures(recipients=len(group), converted=len(bought),
                                        revenue_minor=sum(r for _, r in bought.values()))
    return {"campaign_id": campaign.id, "name": campaign.name, "status": campaign.status,
            "outbox": {s: int(statuses.get(s, 0)) for s in ("queued", "sending", "sent", "delivered", "failed",
                                                             "bounced", "suppressed")},
            "suppressed_reasons": {k or "unknown": int(v) for k, v in reasons.items()},
            "conversion_days": campaign.conversion_days, "groups": uplift(figures),
            "engagement": tracking.figures(session, campaign_id=campaign.id)}


def holdout_figures(session: Session, since: dt.datetime, until: dt.datetime) -> dict:
    """Recipients and hold-out customers chosen in [since, until) by campaigns that keep a hold-out group,
    and how many of each bought within their campaign's conversion_days (for the analytics KPIs)."""
    rows = session.execute(select(Recipient.campaign_id, Recipient.customer_id, Recipient.control, Recipient.at,
                                  Campaign.conversion_days)
                           .join(Campaign, Campaign.id == Recipient.campaign_id)
                           .where(Campaign.control_percent > 0, Recipient.at >= since, Recipient.at < until))
    groups: dict[tuple[int, int, bool], dict[int, dt.datetime]] = {}
    for campaign_id, cid, control, at, days in rows:
        group = groups.setdefault((campaign_id, days, bool(control)), {})
        group[cid] = min(at, group.get(cid, at))
    out = {"campaigns": len({key[0] for key in groups}), "recipients": 0, "converted": 0, "control": 0,
           "control_converted": 0}
    for (_, days, control), starts in groups.items():
        bought = len(facts.purchases_after(session, starts, days))
        out["control" if control else "recipients"] += len(starts)
        out["control_converted" if control else "converted"] += bought
    return out
