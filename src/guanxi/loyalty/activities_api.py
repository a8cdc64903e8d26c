"""Member events and product trials over HTTP (staff): set-up, answers, door check-in, picking, shipping."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from guanxi.deps import CustomerReader, CustomerWriter, LoyaltyConfigurer, RuntimeDep, SessionDep
from guanxi.loyalty import activities
from guanxi.loyalty.activities_schemas import (
    ApplicationCreate, ApplicationPublic, CheckInCreate, CheckInPublic, EventCreate, EventPublic, EventUpdate,
    PickCreate, RsvpCreate, RsvpPublic, TrialCreate, TrialPublic,
)
from guanxi.schemas import IdPath

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty"])
TierQuery = Annotated[list[str] | None, Query(max_length=20)]


def _event(session, row) -> EventPublic:
    return EventPublic.model_validate(row).model_copy(update={"counts": activities.counts(session, row.id)})


@router.get("/member-events", response_model=list[EventPublic])
def list_events(actor: CustomerReader, session: SessionDep) -> list[EventPublic]:
    return [_event(session, e) for e in activities.events(session)]


@router.post("/member-events", response_model=EventPublic, status_code=201)
def create_event(body: EventCreate, actor: LoyaltyConfigurer, session: SessionDep) -> EventPublic:
    """A member event; invite its audience with a care campaign (trigger `member_event`, params `event_id`)."""
    fields = body.model_dump()
    fields["link"] = str(body.link) if body.link else None
    fields["audience"] = body.audience.model_dump(exclude_none=True)
    row = activities.create_event(session, actor.ref, **fields)
    session.commit()
    return _event(session, row)


@router.get("/member-events/{event_id}", response_model=EventPublic)
def get_event(event_id: IdPath, actor: CustomerReader, session: SessionDep) -> EventPublic:
    return _event(session, activities.event(session, event_id))


@router.patch("/member-events/{event_id}", response_model=EventPublic)
def update_event(event_id: IdPath, body: EventUpdate, actor: LoyaltyConfigurer, session: SessionDep) -> EventPublic:
    row = activities.update_event(session, event_id, **body.model_dump(exclude_unset=True))
    session.commit()
    return _event(session, row)


@router.get("/member-events/{event_id}/rsvps", response_model=list[RsvpPublic])
def list_rsvps(event_id: IdPath, actor: CustomerReader, session: SessionDep) -> list[RsvpPublic]:
    activities.event(session, event_id)
    return [RsvpPublic.model_validate(r) for r in activities.rsvps(session, event_id)]


@router.post("/member-events/{event_id}/rsvps", response_model=RsvpPublic)
def create_rsvp(event_id: IdPath, body: RsvpCreate, actor: CustomerWriter, session: SessionDep) -> RsvpPublic:
    """A member's answer taken by staff (phone, counter); the same rules as on the member page (409 when full)."""
    row = activities.answer(session, event_id, body.customer_id, body.answer)
    session.commit()
    return RsvpPublic.model_validate(row)


@router.post("/member-events/{event_id}/check-ins", response_model=CheckInPublic)
def check_in(event_id: IdPath, body: CheckInCreate, actor: CustomerWriter, session: SessionDep,
             runtime: RuntimeDep) -> CheckInPublic:
    """The ticket scanned or typed at the door: 422 forged, 409 used, of another event, or without a place."""
    row = activities.check_in(session, runtime.secrets.session_secret, event_id, body.token, actor.ref)
    points = activities.event(session, event_id).points
    session.commit()
    return CheckInPublic(rsvp=RsvpPublic.model_validate(row), points=points)


@router.get("/trials", response_model=list[TrialPublic])
def list_trials(actor: CustomerReader, session: SessionDep) -> list[TrialPublic]:
    return [TrialPublic.model_validate(t) for t in activities.trials(session)]


@router.post("/trials", response_model=TrialPublic, status_code=201)
def create_trial(body: TrialCreate, actor: LoyaltyConfigurer, session: SessionDep) -> TrialPublic:
    """A product trial (新品试用); the review requests are a care campaign (trigger `trial_review`)."""
    fields = body.model_dump()
    fields["audience"] = body.audience.model_dump(exclude_none=True)
    row = activities.create_trial(session, actor.ref, **fields)
    session.commit()
    return TrialPublic.model_validate(row)


@router.get("/trials/{trial_id}", response_model=TrialPublic)
def get_trial(trial_id: IdPath, actor: CustomerReader, session: SessionDep) -> TrialPublic:
    return TrialPublic.model_validate(activities.trial(session, trial_id))


@router.get("/trials/{trial_id}/applications", response_model=list[ApplicationPublic])
def list_applications(trial_id: IdPath, actor: CustomerReader, session: SessionDep,
                      status: Annotated[str | None, Query(pattern="^(applied|picked|shipped|delivered)$")] = None,
                      segment_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                      tier: TierQuery = None) -> list[ApplicationPublic]:
    """Applicants in the order they applied, narrowed by status, segment and tiers."""
    activities.trial(session, trial_id)
    rows = activities.applications(session, trial_id, status=status, segment_id=segment_id, tier_codes=tier)
    return [ApplicationPublic.model_validate(a) for a in rows]


@router.post("/trials/{trial_id}/applications", response_model=ApplicationPublic, status_code=201,
             responses={200: {"model": ApplicationPublic, "description": "The member had applied before"}})
def create_application(trial_id: IdPath, body: ApplicationCreate, actor: CustomerWriter, session: SessionDep,
                       response: Response) -> ApplicationPublic:
    row, created = activities.apply(session, trial_id, body.customer_id)
    session.commit()
    response.status_code = 201 if created else 200
    return ApplicationPublic.model_validate(row)


@router.post("/trials/{trial_id}/picks", response_model=list[ApplicationPublic])
def pick(trial_id: IdPath, body: PickCreate, actor: LoyaltyConfigurer, session: SessionDep
         ) -> list[ApplicationPublic]:
    """Pick applicants; 409 when that would give more units than the trial has."""
    rows = activities.pick(session, trial_id, actor.ref, count=body.count, customer_ids=body.customer_ids,
                           segment_id=body.segment_id, tier_codes=body.tiers)
    session.commit()
    return [ApplicationPublic.model_validate(a) for a in rows]


@router.post("/trials/{trial_id}/applications/{application_id}/shipment", response_model=ApplicationPublic)
def ship(trial_id: IdPath, application_id: IdPath, actor: LoyaltyConfigurer, session: SessionDep
         ) -> ApplicationPublic:
    row = activities.mark(session, trial_id, application_id, activities.SHIPPED)
    session.commit()
    return ApplicationPublic.model_validate(row)


@router.post("/trials/{trial_id}/applications/{application_id}/delivery", response_model=ApplicationPublic)
def deliver(trial_id: IdPath, application_id: IdPath, actor: LoyaltyConfigurer, session: SessionDep
            ) -> ApplicationPublic:
    """Delivered: the care campaign with trigger `trial_review` asks this member for a review, once."""
    row = activities.mark(session, trial_id, application_id, activities.DELIVERED)
    session.commit()
    return ApplicationPublic.model_validate(row)
