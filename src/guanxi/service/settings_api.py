"""The service desk's editable lists (root causes, canned replies), configurable surveys and the
complaint/return rates report over HTTP. Included in service.api's router (under /api/v1)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from guanxi.deps import RuntimeDep, SessionDep, allowed
from guanxi.errors import Invalid
from guanxi.service import canned_store, notify, rates, root_causes, survey_definitions, surveys
from guanxi.service.schemas import SurveySent
from guanxi.service.settings import ServiceSettings, get_service_settings
from guanxi.service.settings_schemas import (
    CannedCreate, CannedPublic, CannedUpdate, DefinitionCreate, DefinitionPublic, DefinitionSend, DefinitionUpdate,
    RatesReport, RootCauseCreate, RootCausePublic, RootCauseUpdate, SurveyResponded, SurveyResponses,
)
from guanxi.staff.roles import Perm

router = APIRouter(tags=["service"])
TicketWorker = allowed(Perm.tickets_work)
ServiceSettingsDep = Annotated[ServiceSettings, Depends(get_service_settings)]
CodePath = Annotated[str, Path(min_length=1, max_length=100)]
SEEN = {200: {"description": "Sent before with the same content: the existing one, unchanged"}}


@router.get("/service/root-causes", response_model=list[RootCausePublic])
def list_root_causes(actor: TicketWorker, session: SessionDep) -> list[RootCausePublic]:
    """The root causes a resolution picks from; retired ones are listed with active=false."""
    rows = root_causes.all_causes(session)
    session.commit()
    return [RootCausePublic.model_validate(r) for r in rows]


@router.post("/service/root-causes", response_model=RootCausePublic, status_code=201, responses=SEEN)
def create_root_cause(body: RootCauseCreate, actor: TicketWorker, session: SessionDep,
                      response: Response) -> RootCausePublic:
    row, created = root_causes.create(session, body.code, body.name_en, body.name_zh)
    session.commit()
    response.status_code = 201 if created else 200
    return RootCausePublic.model_validate(row)


@router.patch("/service/root-causes/{code}", response_model=RootCausePublic)
def update_root_cause(code: CodePath, body: RootCauseUpdate, actor: TicketWorker, session: SessionDep) -> RootCausePublic:
    """Rename, retire (active=false) or bring back a root cause."""
    row = root_causes.update(session, code, **body.model_dump(exclude_unset=True))
    session.commit()
    return RootCausePublic.model_validate(row)


@router.delete("/service/root-causes/{code}", response_model=RootCausePublic)
def retire_root_cause(code: CodePath, actor: TicketWorker, session: SessionDep) -> RootCausePublic:
    """Retire: new resolutions may not use it; tickets resolved with it keep it."""
    row = root_causes.update(session, code, active=False)
    session.commit()
    return RootCausePublic.model_validate(row)


@router.get("/service/canned-replies", response_model=list[CannedPublic])
def list_canned(actor: TicketWorker, session: SessionDep,
                active: Annotated[bool | None, Query(description="only active (true) or retired (false) ones")] = None
                ) -> list[CannedPublic]:
    rows = canned_store.all_replies(session)
    session.commit()
    return [CannedPublic.model_validate(r) for r in rows if active is None or r.active == active]


@router.post("/service/canned-replies", response_model=CannedPublic, status_code=201, responses=SEEN)
def create_canned(body: CannedCreate, actor: TicketWorker, session: SessionDep, response: Response) -> CannedPublic:
    """A canned reply in both languages; bodies may use $customer, $ticket, $agent and $days (checked here)."""
    row, created = canned_store.create(session, **body.model_dump())
    session.commit()
    response.status_code = 201 if created else 200
    return CannedPublic.model_validate(row)


@router.patch("/service/canned-replies/{key}", response_model=CannedPublic)
def update_canned(key: CodePath, body: CannedUpdate, actor: TicketWorker, session: SessionDep) -> CannedPublic:
    row = canned_store.update(session, key, **body.model_dump(exclude_unset=True))
    session.commit()
    return CannedPublic.model_validate(row)


@router.delete("/service/canned-replies/{key}", response_model=CannedPublic)
def retire_canned(key: CodePath, actor: TicketWorker, session: SessionDep) -> CannedPublic:
    """Retire: it leaves the ticket page's picker."""
    row = canned_store.update(session, key, active=False)
    session.commit()
    return CannedPublic.model_validate(row)


@router.get("/service/survey-definitions", response_model=list[DefinitionPublic])
def list_definitions(actor: TicketWorker, session: SessionDep) -> list[DefinitionPublic]:
    return [DefinitionPublic.model_validate(d) for d in survey_definitions.all_definitions(session)]


@router.post("/service/survey-definitions", response_model=DefinitionPublic, status_code=201, responses=SEEN)
def create_definition(body: DefinitionCreate, actor: TicketWorker, session: SessionDep,
                      response: Response) -> DefinitionPublic:
    """A survey of up to 20 questions: rating 1–5, nps 0–10, choice (with options) or text; zh-CN and en texts."""
    data = body.model_dump()
    row, created = survey_definitions.create(session, data["code"], data["title_en"], data["title_zh"],
                                             data["questions"])
    session.commit()
    response.status_code = 201 if created else 200
    return DefinitionPublic.model_validate(row)


@router.patch("/service/survey-definitions/{code}", response_model=DefinitionPublic)
def update_definition(code: CodePath, body: DefinitionUpdate, actor: TicketWorker, session: SessionDep
                      ) -> DefinitionPublic:
    row = survey_definitions.update(session, code, **body.model_dump(exclude_unset=True))
    session.commit()
    return DefinitionPublic.model_validate(row)


@router.post("/service/survey-definitions/{code}/sends", response_model=SurveySent, status_code=201)
def send_definition(code: CodePath, body: DefinitionSend, actor: TicketWorker, session: SessionDep,
                    runtime: RuntimeDep, cfg: ServiceSettingsDep) -> SurveySent:
    """Send this survey to a customer; the reply holds the single-use link."""
    from guanxi.customers import profiles

    definition = survey_definitions.get(session, code, active=True)
    profiles.live_customer(session, body.customer_id)
    sent = surveys.send(session, cfg, "custom", customer_id=body.customer_id, definition=definition)
    session.commit()
    link = sent.link(cfg.public_url)
    notify.send(runtime.settings, notify.email_of(session, runtime.cipher, body.customer_id),
                f"{definition.title_en} / {definition.title_zh}", f"A few questions, one page:\n{link}\n")
    return SurveySent(id=sent.survey.id, kind=sent.survey.kind, link=link, expires_at=sent.survey.expires_at)


@router.post("/surveys/{token}/responses", response_model=SurveyResponded, status_code=201)
def respond(token: Annotated[str, Path(min_length=8, max_length=100)], body: SurveyResponses, session: SessionDep,
            cfg: ServiceSettingsDep) -> SurveyResponded:
    """Answer a multi-question survey through its single-use link (no sign-in); a second answer is a 409."""
    survey = surveys.answer_questions(session, cfg, token, body.answers)
    session.commit()
    return SurveyResponded(id=survey.id, kind=survey.kind, answered=len(surveys.responses_of(session, survey.id)),
                           follow_up_ticket_id=survey.follow_up_ticket_id)


@router.get("/service/reports/rates", response_model=RatesReport)
def rates_report(actor: TicketWorker, session: SessionDep,
                 since: Annotated[dt.date | None, Query(description="first day (default: 30 days ago)")] = None,
                 until: Annotated[dt.date | None, Query(description="last day, included (default: today)")] = None
                 ) -> RatesReport:
    """Complaint tickets / orders and returns / order lines per product, supplier, channel, segment and tier,
    for the orders placed in the range."""
    start, end = day_range(since, until)
    return RatesReport(**rates.rates(session, start, end))


def day_range(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    until = until or dt.datetime.now(dt.UTC).date()
    since = since or until - dt.timedelta(days=30)
    if since > until or (until - since).days > 3660:
        raise Invalid("since is before until, at most ten years apart")
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    return start, dt.datetime.combine(until, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
