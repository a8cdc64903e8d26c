"""Journeys: an entry (a trigger or an audience, as campaigns have) and ordered steps per customer.

Steps: send (channel + template, through the outbox so consent, quiet hours and caps apply), wait
(days/hours), condition (opened / clicked the previous message, ordered since entering, a tag or a
city) branching to yes/no, and exit. A step goes on to `next`, else to the step after it; past the
last step the customer is done. A goal (an order within `goal_days` of entering) ends the journey
for that customer at their next move, so a customer who ordered during a wait gets nothing more.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.care import campaigns, templates, tracking
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.models import CareTemplate, Journey, JourneyMember, OutboxMessage
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.staff.roles import Actor

STEP_TYPES = ("send", "wait", "condition", "exit")
CONDITIONS = ("opened", "clicked", "ordered", "tag", "city")
STATUSES = ("draft", "active", "paused")
STEP_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_STEPS = 50
STEP_KEYS = {"send": {"channel", "template", "next"}, "wait": {"days", "hours", "next"},
             "condition": {"when", "value", "yes", "no"}, "exit": set()}


@dataclass
class JourneySpec:
    name: str
    steps: list[dict]
    purpose: str = "marketing"
    trigger: str | None = None
    params: dict = field(default_factory=dict)
    audience: dict = field(default_factory=dict)
    goal_days: int | None = None


def _bad(msg: str, *loc) -> Invalid:
    return Invalid(msg, errors=[{"loc": ["body", *loc], "msg": msg}])


def following(steps: list[dict], i: int) -> str | None:
    """Where step i goes on to: its `next`, else the step after it, else nowhere (done)."""
    step = steps[i]
    if step.get("next"):
        return step["next"]
    return steps[i + 1]["id"] if i + 1 < len(steps) else None


def _targets(steps: list[dict], i: int) -> list[str]:
    kind = steps[i]["type"]
    if kind == "exit":
        return []
    if kind == "condition":
        return [steps[i]["yes"], steps[i]["no"]]
    target = following(steps, i)
    return [target] if target else []


def _loop_without_wait(steps: list[dict]) -> str | None:
    """A step on a cycle that passes no wait (it would spin in one run), or None."""
    index = {s["id"]: i for i, s in enumerate(steps)}
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(sid: str) -> str | None:
        state[sid] = 1
        i = index[sid]
        if steps[i]["type"] != "wait":  # a wait cuts the cycle: the next step comes in a later run
            for t in _targets(steps, i):
                if state.get(t) == 1:
                    return t
                if t not in state and (found := visit(t)):
                    return found
        state[sid] = 2
        return None

    for s in steps:
        if s["id"] not in state and (found := visit(s["id"])):
            return found
    return None


def _check_step(session: Session, steps: list[dict], i: int, ids: set[str]) -> None:
    step = steps[i]
    sid, kind = step.get("id"), step.get("type")
    where = ("steps", i)
    if not isinstance(sid, str) or not STEP_ID.match(sid):
        raise _bad(f"step {i + 1}: an id is 1 to 40 letters, digits, - or _", *where, "id")
    if kind not in STEP_TYPES:
        raise _bad(f"step {sid!r}: type is one of {', '.join(STEP_TYPES)}", *where, "type")
    extra = set(step) - {"id", "type"} - STEP_KEYS[kind]
    if extra:
        raise _bad(f"step {sid!r}: a {kind} step has no {', '.join(sorted(extra))}", *where)
    for key in ("next", "yes", "no"):
        target = step.get(key)
        if key in step and target not in ids:
            raise _bad(f"step {sid!r}: {key} goes to {target!r}, which is not a step of this journey", *where, key)
    if kind == "send":
        channel, name = step.get("channel"), step.get("template")
        if channel not in templates.CHANNELS:
            raise _bad(f"step {sid!r}: channel is one of {', '.join(templates.CHANNELS)}", *where, "channel")
        if not isinstance(name, str) or not session.scalar(select(CareTemplate.id).where(
                CareTemplate.name == name, CareTemplate.channel == channel).limit(1)):
            raise _bad(f"step {sid!r}: no {channel} template named {name!r}", *where, "template")
    elif kind == "wait":
        days, hours = step.get("days", 0), step.get("hours", 0)
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in (days, hours)) \
                or not 0 < days * 24 + hours <= 366 * 24:
            raise _bad(f"step {sid!r}: a wait is whole days and/or hours, more than 0 and at most a year", *where)
    elif kind == "condition":
        when, value = step.get("when"), step.get("value")
        if when not in CONDITIONS:
            raise _bad(f"step {sid!r}: when is one of {', '.join(CONDITIONS)}", *where, "when")
        if (when in ("tag", "city")) != (isinstance(value, str) and bool(value.strip())):
            raise _bad(f"step {sid!r}: a {when} condition " + ("needs a value" if when in ("tag", "city")
                                                             else "takes no value"), *where, "value")
        if "yes" not in step or "no" not in step:
            raise _bad(f"step {sid!r}: a condition names the yes and the no step", *where)


def check_spec(session: Session, spec: JourneySpec, custom_occasions: dict | None = None) -> JourneySpec:
    if not spec.name.strip() or len(spec.name) > 200:
        raise _bad("a journey name is 1 to 200 characters", "name")
    # The entry is a campaign's audience: the same triggers, parameters and audiences, checked the same way.
    campaigns.check_spec(CampaignSpec(name=spec.name, channels=["email"], variants=[{"template": "-"}],
                                      purpose=spec.purpose, trigger=spec.trigger, params=spec.params,
                                      audience=spec.audience), custom_occasions)
    if spec.goal_days is not None and not 1 <= spec.goal_days <= 90:
        raise _bad("goal_days is 1 to 90 (or none)", "goal_days")
    if not 1 <= len(spec.steps) <= MAX_STEPS or not all(isinstance(s, dict) for s in spec.steps):
        raise _bad(f"a journey has 1 to {MAX_STEPS} steps", "steps")
    ids = [s.get("id") for s in spec.steps]
    dup = next((x for x in ids if ids.count(x) > 1), None)
    if dup is not None:
        raise _bad(f"step {dup!r} is named twice", "steps")
    for i in range(len(spec.steps)):
        _check_step(session, spec.steps, i, set(ids))
    looping = _loop_without_wait(spec.steps)
    if looping:
        raise _bad(f"step {looping!r} is on a loop without a wait step", "steps", ids.index(looping))
    return spec


def create_journey(session: Session, actor: Actor, spec: JourneySpec, custom_occasions: dict | None = None) -> Journey:
    check_spec(session, spec, custom_occasions)
    row = Journey(name=spec.name, steps=spec.steps, purpose=spec.purpose, trigger=spec.trigger, params=spec.params,
                  audience=spec.audience, goal_days=spec.goal_days, status="draft", created_by=actor.ref)
    session.add(row)
    session.flush()
    audit.record(session, "care_journey_created", actor, subject_type="care_journey", subject_id=row.id,
                 name=spec.name)
    return row


def get_journey(session: Session, journey_id: int) -> Journey:
    row = session.get(Journey, journey_id)
    if row is None:
        raise NotFound(f"no journey {journey_id}")
    return row


def list_journeys(session: Session) -> list[Journey]:
    return list(session.scalars(select(Journey).order_by(Journey.id.desc())))


def set_status(session: Session, actor: Actor, journey_id: int, status: str) -> Journey:
    if status not in STATUSES:
        raise Invalid(f"status is one of {', '.join(STATUSES)}")
    row = get_journey(session, journey_id)
    if status == "active":
        # Templates may have been deleted since the journey was saved: check again before it starts.
        try:
            check_spec(session, JourneySpec(name=row.name, steps=row.steps, purpose=row.purpose, trigger=row.trigger,
                                            params=dict(row.params or {}), audience=dict(row.audience or {}),
                                            goal_days=row.goal_days))
        except Invalid as exc:
            raise Conflict(f"the journey cannot start: {exc}") from None
    row.status, row.updated_at = status, utcnow()
    audit.record(session, "care_journey_status", actor, subject_type="care_journey", subject_id=row.id, status=status)
    return row


def step_counts(session: Session, journey: Journey) -> dict:
    """Per step: customers there now (waiting included) and, for a send step, messages queued and sent."""
    here = {(step, status): n for step, status, n in session.execute(
        select(JourneyMember.step, JourneyMember.status, func.count()).where(JourneyMember.journey_id == journey.id)
        .group_by(JourneyMember.step, JourneyMember.status))}
    steps = []
    for s in journey.steps:
        row = {"id": s["id"], "type": s["type"],
               "current": sum(n for (step, status), n in here.items() if step == s["id"] and
                              status in ("active", "waiting"))}
        if s["type"] == "send":
            prefix = f"journey:{journey.id}:{s['id']}:"
            mine = OutboxMessage.idempotency_key.startswith(prefix, autoescape=True)
            by = dict(session.execute(select(OutboxMessage.status, func.count()).where(mine)
                                      .group_by(OutboxMessage.status)).all())
            engaged = tracking.figures(session, message_ids=list(session.scalars(select(OutboxMessage.id).where(mine))))
            row.update(messages=sum(by.values()), sent=by.get("sent", 0) + by.get("delivered", 0),
                       suppressed=by.get("suppressed", 0), opened=engaged["opened"],
                       clicked=engaged["clicked_unique"], unsubscribes=engaged["unsubscribes"])
        steps.append(row)
    totals = {k: 0 for k in ("active", "waiting", "done", "converted", "left")}
    for (_, status), n in here.items():
        totals[status] = totals.get(status, 0) + n
    return {"journey_id": journey.id, "entered": sum(here.values()), **totals, "steps": steps}
