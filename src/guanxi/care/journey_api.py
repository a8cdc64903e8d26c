"""Journeys over HTTP (`/api/v1/care/journeys`): create, list, read, activate, pause, per-step counts."""

from __future__ import annotations

from fastapi import APIRouter

from guanxi.care import journeys
from guanxi.care.api import CareSettingsDep
from guanxi.care.journeys import JourneySpec
from guanxi.care.schemas import JourneyPublic, JourneyWrite
from guanxi.deps import CampaignManager, SessionDep
from guanxi.schemas import IdPath

router = APIRouter(prefix="/api/v1/care/journeys", tags=["care"])


def spec_of(body: JourneyWrite) -> JourneySpec:
    data = body.model_dump()
    data["steps"] = [s.model_dump(exclude_none=True) for s in body.steps]
    return JourneySpec(**data)


@router.get("", response_model=list[JourneyPublic])
def list_journeys(actor: CampaignManager, session: SessionDep) -> list[JourneyPublic]:
    return [JourneyPublic.model_validate(j) for j in journeys.list_journeys(session)]


@router.post("", response_model=JourneyPublic, status_code=201)
def create_journey(body: JourneyWrite, actor: CampaignManager, session: SessionDep,
                   care: CareSettingsDep) -> JourneyPublic:
    """A new journey, as a draft; 422 naming the step when a target, a template or a wait is wrong."""
    row = journeys.create_journey(session, actor, spec_of(body), care.occasions)
    session.commit()
    return JourneyPublic.model_validate(row)


@router.get("/{journey_id}", response_model=JourneyPublic)
def get_journey(journey_id: IdPath, actor: CampaignManager, session: SessionDep) -> JourneyPublic:
    return JourneyPublic.model_validate(journeys.get_journey(session, journey_id))


@router.post("/{journey_id}/activate", response_model=JourneyPublic)
def activate_journey(journey_id: IdPath, actor: CampaignManager, session: SessionDep) -> JourneyPublic:
    """Start letting customers in (the care.advance_journeys job, every minute); repeating it is harmless."""
    row = journeys.set_status(session, actor, journey_id, "active")
    session.commit()
    return JourneyPublic.model_validate(row)


@router.post("/{journey_id}/pause", response_model=JourneyPublic)
def pause_journey(journey_id: IdPath, actor: CampaignManager, session: SessionDep) -> JourneyPublic:
    """Nobody enters or moves until it is activated again; customers keep their place."""
    row = journeys.set_status(session, actor, journey_id, "paused")
    session.commit()
    return JourneyPublic.model_validate(row)


@router.get("/{journey_id}/counts")
def journey_counts(journey_id: IdPath, actor: CampaignManager, session: SessionDep) -> dict:
    """Customers entered, active, waiting, done and converted, and per step: there now, messages sent."""
    return journeys.step_counts(session, journeys.get_journey(session, journey_id))
