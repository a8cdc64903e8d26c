"""Member activities: events (member day, product trial day, meet-up, live Q&A) and product trials (新品试用).

Events: an audience (everyone, a saved segment, some tiers, or a segment narrowed to tiers), a capacity
and an optional waitlist. Members answer on the member page; the event row is locked while a seat is
counted (PostgreSQL FOR UPDATE, SQLite's write transaction), so simultaneous answers never fill more
seats than there are. A yes carries a signed ticket (shown as a QR code) that staff scan at the door:
it checks in once, only at its own event, and a forged one is refused. Attendance shows on the
customer's timeline and credits the event's points once (ledger source `activity`).

Trials: members of the audience apply inside the window; staff pick applicants (never more than the
quantity), mark the parcels shipped and delivered. The invitations and the review requests are care
campaigns (triggers `member_event` and `trial_review`), which read `audience_ids` and `delivered_between`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.customers import hooks
from guanxi.customers.hooks import timeline
from guanxi.db import utcnow
from guanxi.errors import Conflict, Forbidden, Invalid, NotFound
from guanxi.loyalty import store, tiers
from guanxi.loyalty.models import EventRsvp, MemberEvent, ProductTrial, Tier, TrialApplication

KINDS = ("member_day", "product_trial", "meetup", "live_qa")
YES, NO, WAITLIST = "yes", "no", "waitlist"
APPLIED, PICKED, SHIPPED, DELIVERED = "applied", "picked", "shipped", "delivered"
CHOSEN = (PICKED, SHIPPED, DELIVERED)  # applications that take one of the trial's units
POINTS_SOURCE = "activity"


# -- audiences ------------------------------------------------------------------------------------

def check_audience(session: Session, audience: dict | None) -> dict:
    """{} (every member), {"segment_id": n}, {"tiers": [codes]} or both (the segment's members in those tiers)."""
    audience = dict(audience or {})
    unknown = set(audience) - {"segment_id", "tiers"}
    if unknown:
        raise Invalid(f"an audience is segment_id and/or tiers, not {', '.join(sorted(unknown))}",
                      errors=[{"loc": ["body", "audience"], "msg": "segment_id, tiers"}])
    out: dict = {}
    if audience.get("segment_id") is not None:
        from guanxi.analytics import reports

        try:
            out["segment_id"] = reports.get_segment(session, int(audience["segment_id"])).id
        except NotFound:
            raise Invalid(f"no segment {audience['segment_id']}",
                          errors=[{"loc": ["body", "audience", "segment_id"], "msg": "unknown"}]) from None
    if audience.get("tiers"):
        codes = sorted(set(audience["tiers"]))
        known = set(session.scalars(select(Tier.code).where(Tier.code.in_(codes))))
        if missing := [c for c in codes if c not in known]:
            raise Invalid(f"no tier {', '.join(missing)}",
                          errors=[{"loc": ["body", "audience", "tiers"], "msg": "unknown"}])
        out["tiers"] = codes
    return out


def _segment_members(session: Session, segment_id: int, ids: list[int] | None = None) -> set[int]:
    from guanxi.analytics import membership

    return membership.members(session, segment_id, ids)


def in_audience(session: Session, audience: dict, customer_id: int) -> bool:
    if audience.get("segment_id") is not None and not _segment_members(session, audience["segment_id"],
                                                                       [customer_id]):
        return False
    return not audience.get("tiers") or tiers.tier_of(session, customer_id) in audience["tiers"]


def audience_ids(session: Session, audience: dict) -> list[int] | None:
    """The audience's customer ids; None for every member."""
    from guanxi.loyalty.models import TierStatus

    ids: set[int] | None = None
    if audience.get("segment_id") is not None:
        ids = _segment_members(session, audience["segment_id"])
    if audience.get("tiers"):
        tiered = set(session.scalars(select(TierStatus.customer_id).where(TierStatus.tier_code.in_(audience["tiers"]))))
        ids = tiered if ids is None else ids & tiered
    return None if ids is None else sorted(ids)


def _window(starts: dt.datetime, ends: dt.datetime, what: str, field: str = "ends_at") -> None:
    if ends <= starts:
        raise Invalid(f"the {what} must end after it starts", errors=[{"loc": ["body", field], "msg": "after start"}])


# -- events ---------------------------------------------------------------------------------------

def create_event(session: Session, actor_ref: str, *, kind: str, title: str, starts_at: dt.datetime,
                 ends_at: dt.datetime, capacity: int, description: str = "", place: str | None = None,
                 link: str | None = None, waitlist: bool = False, audience: dict | None = None,
                 points: int = 0) -> MemberEvent:
    if kind not in KINDS:
        raise Invalid(f"kind is one of {', '.join(KINDS)}")
    _window(starts_at, ends_at, "event")
    if not (place or link):
        raise Invalid("give a place (offline) or a link (online)", errors=[{"loc": ["body", "place"], "msg": "required"}])
    row = MemberEvent(kind=kind, title=title.strip(), description=description, starts_at=starts_at, ends_at=ends_at,
                      place=place, link=link, capacity=capacity, waitlist=waitlist,
                      audience=check_audience(session, audience), points=points, status="open",
                      created_at=utcnow(), created_by=actor_ref)
    session.add(row)
    session.flush()
    return row


def event(session: Session, event_id: int, *, lock: bool = False) -> MemberEvent:
    row = session.get(MemberEvent, event_id, with_for_update=lock, populate_existing=lock)
    if row is None:
        raise NotFound(f"no member event {event_id}")
    return row


def update_event(session: Session, event_id: int, **fields) -> MemberEvent:
    """Change an event; the capacity never below the seats already taken."""
    row = event(session, event_id, lock=True)
    if "audience" in fields:
        fields["audience"] = check_audience(session, fields["audience"])
    if "capacity" in fields and fields["capacity"] < counts(session, event_id)[YES]:
        raise Conflict(f"{counts(session, event_id)[YES]} members already said yes: the capacity cannot be lower")
    for key, value in fields.items():
        setattr(row, key, value)
    _window(row.starts_at, row.ends_at, "event")
    session.flush()
    _promote(session, row)
    return row


def _promote(session: Session, row: MemberEvent) -> None:
    """Seats free (a no, a larger capacity): the waitlist moves up in the order it answered."""
    free = row.capacity - counts(session, row.id)[YES]
    if free > 0:
        for waiting in session.scalars(select(EventRsvp).where(EventRsvp.event_id == row.id,
                                                               EventRsvp.answer == WAITLIST)
                                       .order_by(EventRsvp.answered_at, EventRsvp.id).limit(free)):
            waiting.answer = YES
        session.flush()


def events(session: Session, *, upcoming_at: dt.datetime | None = None) -> list[MemberEvent]:
    stmt = select(MemberEvent).order_by(MemberEvent.starts_at.desc(), MemberEvent.id.desc())
    if upcoming_at is not None:
        stmt = select(MemberEvent).where(MemberEvent.status == "open", MemberEvent.ends_at > upcoming_at) \
            .order_by(MemberEvent.starts_at, MemberEvent.id)
    return list(session.scalars(stmt))


def counts(session: Session, event_id: int) -> dict[str, int]:
    got = dict(session.execute(select(EventRsvp.answer, func.count()).where(EventRsvp.event_id == event_id)
                               .group_by(EventRsvp.answer)).all())
    checked = session.scalar(select(func.count()).select_from(EventRsvp).where(
        EventRsvp.event_id == event_id, EventRsvp.checked_in_at.is_not(None)))
    return {YES: int(got.get(YES, 0)), NO: int(got.get(NO, 0)), WAITLIST: int(got.get(WAITLIST, 0)),
            "checked_in": int(checked)}


def rsvps(session: Session, event_id: int) -> list[EventRsvp]:
    return list(session.scalars(select(EventRsvp).where(EventRsvp.event_id == event_id)
                                .order_by(EventRsvp.answered_at, EventRsvp.id)))


def rsvp_of(session: Session, event_id: int, customer_id: int) -> EventRsvp | None:
    return session.scalar(select(EventRsvp).where(EventRsvp.event_id == event_id,
                                                  EventRsvp.customer_id == customer_id))


def answer(session: Session, event_id: int, customer_id: int, said: str, *,
           now: dt.datetime | None = None) -> EventRsvp:
    """A member's yes or no. A yes takes a seat, or a waitlist place when full (if the event has one);
    a full event without a waitlist is a 409. A no frees the seat for the first on the waitlist."""
    now = now or utcnow()
    if said not in (YES, NO):
        raise Invalid("the answer is yes or no")
    customer_id = profiles.live_customer(session, customer_id).id
    row = event(session, event_id, lock=True)  # every answer to this event queues here
    if row.status != "open" or now >= row.ends_at:
        raise Conflict("this event is over or cancelled")
    if not in_audience(session, row.audience, customer_id):
        raise Forbidden("this event is for other members")
    mine = rsvp_of(session, event_id, customer_id)
    if mine is not None and (mine.answer == said or (said == YES and mine.answer == WAITLIST)):
        return mine
    if mine is not None and mine.checked_in_at is not None:
        raise Conflict("already checked in at this event")
    if said == YES:
        if counts(session, event_id)[YES] < row.capacity:
            given = YES
        elif row.waitlist:
            given = WAITLIST
        else:
            raise Conflict(f"the event is full ({row.capacity} places)")
    else:
        given = NO
    freed = mine is not None and mine.answer == YES and given == NO
    if mine is None:
        mine = EventRsvp(event_id=event_id, customer_id=customer_id, answer=given, answered_at=now)
        session.add(mine)
    else:
        mine.answer, mine.answered_at = given, now
    session.flush()
    if freed:
        _promote(session, row)
    return mine


def ticket(secret: str, rsvp: EventRsvp) -> str:
    """The RSVP's ticket: its id and an HMAC over id and event (what the QR code carries). The member is the
    RSVP row's, so a ticket stays valid when the profile is merged into another one."""
    return f"{rsvp.id}-{_signature(secret, rsvp.id, rsvp.event_id)}"


def _signature(secret: str, rsvp_id: int, event_id: int) -> str:
    message = f"loyalty-rsvp\x00{rsvp_id}\x00{event_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def check_in(session: Session, secret: str, event_id: int, token: str, actor_ref: str, *,
             now: dt.datetime | None = None) -> EventRsvp:
    """Staff at the door: a valid ticket of this event with a yes checks in once and credits the points."""
    now = now or utcnow()
    row = event(session, event_id, lock=True)
    rsvp_id, _, signature = token.strip().partition("-")
    rsvp = session.get(EventRsvp, int(rsvp_id), with_for_update=True) if rsvp_id.isdigit() else None
    if rsvp is None or not hmac.compare_digest(signature, _signature(secret, rsvp.id, rsvp.event_id)):
        raise Invalid("not a ticket of ours: check the code or type it in", errors=[{"loc": ["body", "token"],
                                                                                    "msg": "invalid"}])
    if rsvp.event_id != event_id:
        raise Conflict(f"this ticket is for another event ({event(session, rsvp.event_id).title})")
    if row.status != "open":
        raise Conflict("this event is cancelled")
    if rsvp.answer != YES:
        raise Conflict("this member has no place (answered no, or still on the waitlist)")
    if rsvp.checked_in_at is not None:
        raise Conflict(f"this ticket was already used at {rsvp.checked_in_at.isoformat(timespec='minutes')}")
    rsvp.checked_in_at, rsvp.checked_in_by = now, actor_ref
    session.flush()
    if row.points > 0:
        store.credit(session, rsvp.customer_id, row.points, POINTS_SOURCE, f"event:{event_id}:{rsvp.customer_id}",
                     f"event:{row.kind}", now)
    return rsvp


def member_events(session: Session, customer_id: int, now: dt.datetime) -> list[tuple[MemberEvent, EventRsvp | None]]:
    """Open events the member may answer, with the member's answer so far."""
    out = []
    for row in events(session, upcoming_at=now):
        if in_audience(session, row.audience, customer_id):
            out.append((row, rsvp_of(session, row.id, customer_id)))
    return out


# -- trials ---------------------------------------------------------------------------------------

def create_trial(session: Session, actor_ref: str, *, title: str, sku: str, quantity: int, apply_from: dt.datetime,
                 apply_until: dt.datetime, audience: dict | None = None) -> ProductTrial:
    _window(apply_from, apply_until, "application window", "apply_until")
    row = ProductTrial(title=title.strip(), sku=sku.strip(), quantity=quantity, audience=check_audience(session, audience),
                       apply_from=apply_from, apply_until=apply_until, created_at=utcnow(), created_by=actor_ref)
    session.add(row)
    session.flush()
    return row


def trial(session: Session, trial_id: int, *, lock: bool = False) -> ProductTrial:
    row = session.get(ProductTrial, trial_id, with_for_update=lock, populate_existing=lock)
    if row is None:
        raise NotFound(f"no product trial {trial_id}")
    return row


def trials(session: Session, *, open_at: dt.datetime | None = None) -> list[ProductTrial]:
    stmt = select(ProductTrial).order_by(ProductTrial.apply_from.desc(), ProductTrial.id.desc())
    if open_at is not None:
        stmt = select(ProductTrial).where(ProductTrial.apply_from <= open_at, ProductTrial.apply_until > open_at) \
            .order_by(ProductTrial.apply_until, ProductTrial.id)
    return list(session.scalars(stmt))


def application_of(session: Session, trial_id: int, customer_id: int) -> TrialApplication | None:
    return session.scalar(select(TrialApplication).where(TrialApplication.trial_id == trial_id,
                                                         TrialApplication.customer_id == customer_id))


def apply(session: Session, trial_id: int, customer_id: int, *,
          now: dt.datetime | None = None) -> tuple[TrialApplication, bool]:
    """A member applies, inside the window and the audience; applying again changes nothing."""
    now = now or utcnow()
    customer_id = profiles.live_customer(session, customer_id).id
    row = trial(session, trial_id)
    seen = application_of(session, trial_id, customer_id)
    if seen is not None:
        return seen, False
    if not row.apply_from <= now < row.apply_until:
        raise Conflict(f"applications are open from {row.apply_from.isoformat(timespec='minutes')} "
                       f"until {row.apply_until.isoformat(timespec='minutes')}")
    if not in_audience(session, row.audience, customer_id):
        raise Forbidden("this trial is for other members")
    app = TrialApplication(trial_id=trial_id, customer_id=customer_id, status=APPLIED, applied_at=now)
    session.add(app)
    session.flush()
    return app, True


def applications(session: Session, trial_id: int, *, status: str | None = None, segment_id: int | None = None,
                 tier_codes: list[str] | None = None) -> list[TrialApplication]:
    """Applications in the order they came, narrowed to a status, a segment's members and tiers."""
    stmt = select(TrialApplication).where(TrialApplication.trial_id == trial_id)
    if status:
        stmt = stmt.where(TrialApplication.status == status)
    rows = list(session.scalars(stmt.order_by(TrialApplication.applied_at, TrialApplication.id)))
    audience = check_audience(session, {"segment_id": segment_id, "tiers": tier_codes})
    if audience.get("segment_id") is not None:
        members = _segment_members(session, audience["segment_id"], [a.customer_id for a in rows])
        rows = [a for a in rows if a.customer_id in members]
    if audience.get("tiers"):
        from guanxi.loyalty.models import TierStatus

        tiered = dict(session.execute(select(TierStatus.customer_id, TierStatus.tier_code).where(
            TierStatus.customer_id.in_([a.customer_id for a in rows]))).all()) if rows else {}
        rows = [a for a in rows if tiered.get(a.customer_id) in audience["tiers"]]
    return rows


def pick(session: Session, trial_id: int, actor_ref: str, *, count: int | None = None,
         customer_ids: list[int] | None = None, segment_id: int | None = None, tier_codes: list[str] | None = None,
         now: dt.datetime | None = None) -> list[TrialApplication]:
    """Pick applicants: the given ones, or the first `count` matching the filter; never beyond the quantity."""
    now = now or utcnow()
    row = trial(session, trial_id, lock=True)  # two staff picking at once queue here
    waiting = applications(session, trial_id, status=APPLIED, segment_id=segment_id, tier_codes=tier_codes)
    if customer_ids is not None:
        by_customer = {a.customer_id: a for a in waiting}
        if missing := [c for c in customer_ids if c not in by_customer]:
            raise Invalid(f"not waiting applicants of this trial: {', '.join(map(str, missing))}",
                          errors=[{"loc": ["body", "customer_ids"], "msg": "not applicants"}])
        chosen = [by_customer[c] for c in dict.fromkeys(customer_ids)]
    else:
        if count is None:
            raise Invalid("give a count or customer_ids", errors=[{"loc": ["body", "count"], "msg": "required"}])
        if count > len(waiting):
            raise Invalid(f"only {len(waiting)} waiting applicants match", errors=[{"loc": ["body", "count"],
                                                                                  "msg": "too many"}])
        chosen = waiting[:count]
    taken = session.scalar(select(func.count()).select_from(TrialApplication).where(
        TrialApplication.trial_id == trial_id, TrialApplication.status.in_(CHOSEN)))
    if taken + len(chosen) > row.quantity:
        raise Conflict(f"the trial has {row.quantity} units and {taken} are given: pick at most {row.quantity - taken}")
    for app in chosen:
        app.status, app.picked_at, app.picked_by = PICKED, now, actor_ref
    session.flush()
    return chosen


def _application(session: Session, trial_id: int, application_id: int) -> TrialApplication:
    app = session.get(TrialApplication, application_id)
    if app is None or app.trial_id != trial_id:
        raise NotFound(f"no application {application_id} to trial {trial_id}")
    return app


def mark(session: Session, trial_id: int, application_id: int, step: str, *,
         now: dt.datetime | None = None) -> TrialApplication:
    """picked → shipped → delivered (a delivery may be recorded without the shipment); repeating a step is a no-op."""
    now = now or utcnow()
    app = _application(session, trial_id, application_id)
    allowed = {SHIPPED: (PICKED,), DELIVERED: (PICKED, SHIPPED)}[step]
    if app.status == step:
        return app
    if app.status not in allowed:
        raise Conflict(f"an application that is {app.status} cannot be marked {step}")
    app.status = step
    if step == SHIPPED:
        app.shipped_at = now
    else:
        app.delivered_at, app.shipped_at = now, app.shipped_at or now
    session.flush()
    return app


def delivered_between(session: Session, since: dt.datetime, until: dt.datetime
                      ) -> list[tuple[int, int, str, dt.datetime]]:
    """(customer id, trial id, trial title, delivered at) of trial parcels delivered in [since, until)."""
    return [tuple(r) for r in session.execute(
        select(TrialApplication.customer_id, TrialApplication.trial_id, ProductTrial.title,
               TrialApplication.delivered_at)
        .join(ProductTrial, ProductTrial.id == TrialApplication.trial_id)
        .where(TrialApplication.status == DELIVERED, TrialApplication.delivered_at >= since,
               TrialApplication.delivered_at < until)
        .order_by(TrialApplication.delivered_at, TrialApplication.id))]


def member_trials(session: Session, customer_id: int, now: dt.datetime
                  ) -> list[tuple[ProductTrial, TrialApplication | None]]:
    """Trials open for applications to this member, and the member's earlier applications."""
    mine = {a.trial_id: a for a in session.scalars(select(TrialApplication).where(
        TrialApplication.customer_id == customer_id))}
    out = [(t, mine.pop(t.id, None)) for t in trials(session, open_at=now) if in_audience(session, t.audience, customer_id)]
    if mine:
        out += [(t, mine[t.id]) for t in session.scalars(select(ProductTrial).where(ProductTrial.id.in_(list(mine))))]
    return out


def of_customer(session: Session, customer_id: int, limit: int = 20) -> dict:
    """The customer's answers (with the event) and trial applications (with the trial), newest first."""
    answers = session.execute(select(EventRsvp, MemberEvent).join(MemberEvent, MemberEvent.id == EventRsvp.event_id)
                              .where(EventRsvp.customer_id == customer_id)
                              .order_by(MemberEvent.starts_at.desc()).limit(limit)).all()
    applied = session.execute(select(TrialApplication, ProductTrial)
                              .join(ProductTrial, ProductTrial.id == TrialApplication.trial_id)
                              .where(TrialApplication.customer_id == customer_id)
                              .order_by(TrialApplication.applied_at.desc()).limit(limit)).all()
    return {"events": [tuple(r) for r in answers], "trials": [tuple(r) for r in applied]}


# -- the customer's timeline ----------------------------------------------------------------------

@timeline("loyalty_activities")
def activities_timeline(session, customer_id: int, limit: int) -> list[dict]:
    attended = session.execute(
        select(EventRsvp.checked_in_at, MemberEvent.id, MemberEvent.title, MemberEvent.kind)
        .join(MemberEvent, MemberEvent.id == EventRsvp.event_id)
        .where(EventRsvp.customer_id == customer_id, EventRsvp.checked_in_at.is_not(None))
        .order_by(EventRsvp.checked_in_at.desc()).limit(limit))
    out = [{"at": at, "kind": "event_attended", "summary": f"attended {title} ({kind})", "event_id": eid}
           for at, eid, title, kind in attended]
    given = session.execute(
        select(TrialApplication, ProductTrial.title, ProductTrial.sku)
        .join(ProductTrial, ProductTrial.id == TrialApplication.trial_id)
        .where(TrialApplication.customer_id == customer_id)
        .order_by(TrialApplication.applied_at.desc()).limit(limit))
    for app, title, sku in given:
        out.append({"at": app.delivered_at or app.shipped_at or app.picked_at or app.applied_at,
                    "kind": f"trial_{app.status}", "summary": f"product trial {title} ({sku}): {app.status}",
                    "trial_id": app.trial_id})
    return out


# -- export and merge -----------------------------------------------------------------------------

@hooks.exporter("loyalty_activities")
def export_activities(session: Session, customer_id: int) -> dict:
    return {"events": [{"event_id": r.event_id, "answer": r.answer, "answered_at": r.answered_at.isoformat(),
                        "checked_in_at": r.checked_in_at.isoformat() if r.checked_in_at else None}
                       for r in session.scalars(select(EventRsvp).where(EventRsvp.customer_id == customer_id))],
            "trials": [{"trial_id": a.trial_id, "status": a.status, "applied_at": a.applied_at.isoformat()}
                       for a in session.scalars(select(TrialApplication).where(
                           TrialApplication.customer_id == customer_id))]}


_MOVED = {"loyalty_event_rsvps": (EventRsvp, EventRsvp.event_id),
          "loyalty_trial_applications": (TrialApplication, TrialApplication.trial_id)}


def _unmove_activities(session: Session, rows: dict[str, list[int]], merged_id: int) -> None:
    for table, (model, _) in _MOVED.items():
        if rows.get(table):
            session.execute(update(model).where(model.id.in_(rows[table])).values(customer_id=merged_id),
                            execution_options={"synchronize_session": False})


@hooks.mover("loyalty_activities", _unmove_activities)
def move_activities(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    """Answers and applications join the survivor's, except for an event or trial the survivor has its own for."""
    moved = {}
    for table, (model, parent) in _MOVED.items():
        own = select(parent).where(model.customer_id == to_id).scalar_subquery()
        moved[table] = sorted(session.scalars(update(model.__table__).where(
            model.customer_id == from_id, parent.not_in(own)).values(customer_id=to_id).returning(model.id)))
    return moved
