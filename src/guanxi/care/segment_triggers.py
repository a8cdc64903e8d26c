"""Triggers on a dynamic segment's entries and exits: `segment_entered` and `segment_left`, for campaigns
and for journeys' entries.

The analytics domain records every entry and exit (membership.entered_since / left_since). A run
reads the changes after the campaign's cursor and chooses each customer once per change: the period
is the change's instant, so a customer who leaves and comes back is reached again, and a run that
repeats finds its choices already in care_recipients.

The cursor is the latest change the campaign (or journey) has already chosen someone for (read back
from its recipients' or members' periods), less a margin for changes whose transaction committed after a later one; a
campaign that has chosen nobody starts at its own creation, so activating a campaign on an old
segment does not reach everyone who ever entered it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import func, select

from guanxi.care import trigger_facts
from guanxi.care.models import JourneyMember, Recipient
from guanxi.care.quiet_hours import zone
from guanxi.care.trigger_kinds import Chosen, Kind, ParamError, Run, register

OVERLAP = dt.timedelta(minutes=10)  # re-read this much before the cursor: late commits, clock skew
STAMP = "%Y-%m-%dT%H:%M:%S.%f"       # UTC, fixed width: the latest period is also the greatest string
PREFIX = {"segment_entered": "seg_in", "segment_left": "seg_out"}


def _segment_id(value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ParamError("segment_id", "segment_id is a dynamic segment's id (GET /api/v1/segments)")


def period(kind: str, segment_id: int, at: dt.datetime) -> str:
    return f"{PREFIX[kind]}:{segment_id}:{at.astimezone(dt.UTC).strftime(STAMP)}"


def cursor(r: Run, kind: str, segment_id: int) -> dt.datetime:
    """Where this campaign's reading of the segment's changes starts."""
    prefix = f"{PREFIX[kind]}:{segment_id}:"
    journey_id = getattr(r.campaign, "journey_id", None)  # a journey's entry: its members are its choices
    if journey_id is not None:
        last = r.session.scalar(select(func.max(JourneyMember.period)).where(
            JourneyMember.journey_id == journey_id, JourneyMember.period.startswith(prefix)))
    else:
        last = r.session.scalar(select(func.max(Recipient.period)).where(
            Recipient.campaign_id == r.campaign.id, Recipient.period.startswith(prefix)))
    if last is None:
        return r.campaign.created_at
    stamp = dt.datetime.strptime(last[len(prefix):], STAMP).replace(tzinfo=dt.UTC)
    return stamp - OVERLAP


def _changes(kind: str, r: Run) -> Iterator[Chosen]:
    from guanxi.analytics import membership

    sid = r.params["segment_id"]
    read = membership.entered_since if kind == "segment_entered" else membership.left_since
    changes = [(cid, at) for cid, at in read(r.session, sid, cursor(r, kind, sid)) if at <= r.now]
    live = trigger_facts.zones_of(r.session, [cid for cid, _ in changes])  # erased and merged people drop out
    for cid, at in changes:
        if cid in live:
            day = at.astimezone(zone(live[cid])).date().isoformat()
            yield Chosen(cid, period(kind, sid, at), occasion={"key": kind, "date": day, "segment_id": sid})


def entered(r: Run) -> Iterator[Chosen]:
    return _changes("segment_entered", r)


def left(r: Run) -> Iterator[Chosen]:
    return _changes("segment_left", r)


register("segment_entered", Kind({}, entered, {"segment_id": _segment_id}, ("segment_id",)))
register("segment_left", Kind({}, left, {"segment_id": _segment_id}, ("segment_id",)))
