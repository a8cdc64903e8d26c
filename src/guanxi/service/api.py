"""The service desk over HTTP: tickets, conversation, status, resolution, returns, taxonomy, teams, surveys."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from guanxi.deps import CurrentActor, RuntimeDep, SessionDep, allowed
from guanxi.errors import Conflict, Forbidden, Invalid
from guanxi.service import abuse, actions, categories, quality_reviews, incidents, notify, reports, resolution, returns, surveys, teams, tickets, training
from guanxi.service import customer_hooks as _customer_hooks  # noqa: F401  (timeline, export, erasure, merge)
from guanxi.service.models import Ticket
from guanxi.service.schemas import (
    AccuracyPublic, ClassifierPublic, QualityReviewCreate, ActionCreate, ActionPublic, ActionTransition, AgentCreate, IncidentCreate, IncidentPublic, IncidentReply, IncidentResolution, IncidentTickets, AgentPublic, AttachmentCreate, CategoryPublic, CategorySave, MessageCreate,
    MessagePublic, ResolutionCreate, ResolutionReply, ReturnCreate, ReturnPublic, ReturnTransition, SlaTarget,
    SurveyAnswer, SurveyAnswered, SurveyCreate, SurveySent, TeamCreate, TeamPublic, TicketCreate, TicketPublic,
    TicketsPage, TicketSummary, TicketUpdate, TransitionCreate,
)
from guanxi.service.settings import ServiceSettings, get_service_settings
from guanxi.schemas import IdPath
from guanxi.staff.roles import Actor, Perm

router = APIRouter(prefix="/api/v1", tags=["service"])

TicketWorker = allowed(Perm.tickets_work)
ServiceSettingsDep = Annotated[ServiceSettings, Depends(get_service_settings)]


def _ticket_creator(actor: CurrentActor) -> Actor:
    # The shop's own systems (tech tokens that write orders) open tickets as well as the service team.
    if not (actor.can(Perm.tickets_work) or actor.can(Perm.orders_write)):
        raise Forbidden(f"the {actor.role.value} role may not open tickets (needs {Perm.tickets_work.value})")
    return actor


TicketCreator = Annotated[Actor, Depends(_ticket_creator)]


def _attachments(items: list[AttachmentCreate]) -> list[tickets.AttachmentIn]:
    out = []
    for i, a in enumerate(items):
        try:
            data = base64.b64decode(a.data_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("attachment is not valid base64", errors=[{"loc": ["body", "attachments", i, "data_base64"],
                                                                     "msg": "not valid base64"}]) from None
        out.append(tickets.AttachmentIn(a.filename, a.content_type, data))
    return out


def _target(t) -> SlaTarget:
    return SlaTarget(state=t.state, due=t.due, warn_at=t.warn_at, elapsed_seconds=int(t.elapsed.total_seconds()),
                     budget_seconds=int(t.budget.total_seconds()))


def ticket_public(session, cfg: ServiceSettings, ticket: Ticket) -> TicketPublic:
    clock = tickets.clock(session, cfg, ticket)
    msgs = tickets.messages(session, ticket.id)
    files = tickets.attachments_of(session, [m.id for m in msgs])
    data = TicketPublic.model_validate(ticket).model_dump(exclude={"messages", "events", "returns",
                                                                    "first_response", "resolution"})
    return TicketPublic(
        **data, first_response=_target(clock.first_response), resolution=_target(clock.resolution),
        messages=[MessagePublic.model_validate(m).model_copy(update={"attachments": files.get(m.id, [])}) for m in msgs],
        events=tickets.events_of(session, ticket.id), returns=returns.of_ticket(session, ticket.id))


@router.post("/tickets", response_model=TicketPublic, status_code=201,
             responses={200: {"model": TicketPublic, "description": "Seen before: the same (source, external_id)"}})
def create_ticket(body: TicketCreate, actor: TicketCreator, session: SessionDep, cfg: ServiceSettingsDep,
                  response: Response) -> TicketPublic:
    """Open a ticket; the category is suggested from the text when not given, and it is routed at once."""
    data = tickets.TicketIn(**body.model_dump(exclude={"attachments"}), attachments=_attachments(body.attachments),
                            author=actor.ref if body.source == "staff" else "customer")
    ticket, created = tickets.create(session, cfg, data, actor.ref)
    session.commit()
    response.status_code = 201 if created else 200
    return ticket_public(session, cfg, ticket)


@router.get("/tickets", response_model=TicketsPage)
def list_tickets(
    actor: TicketWorker, session: SessionDep,
    status: Annotated[list[str] | None, Query(max_length=6)] = None,
    team_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    priority: Annotated[str | None, Query(pattern="^P[1-4]$")] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    sla_state: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketsPage:
    """The inbox: the most pressing SLA due time first."""
    rows = tickets.inbox(session, status=status, team_id=team_id, assignee_id=assignee_id, customer_id=customer_id,
                         priority=priority, category=category, sla_state=sla_state, offset=offset, limit=limit)
    return TicketsPage(items=[TicketSummary.model_validate(t) for t in rows], offset=offset, limit=limit)


@router.get("/tickets/{ticket_id}", response_model=TicketPublic)
def get_ticket(ticket_id: IdPath, actor: TicketWorker, session: SessionDep, cfg: ServiceSettingsDep) -> TicketPublic:
    return ticket_public(session, cfg, tickets.get(session, ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=TicketPublic)
def update_ticket(ticket_id: IdPath, body: TicketUpdate, actor: TicketWorker, session: SessionDep,
                  cfg: ServiceSettingsDep) -> TicketPublic:
    """Correct the category, re-triage, retag, move to a team or an agent."""
    ticket = tickets.get(session, ticket_id, lock=True)
    tickets.update(session, cfg, ticket, body.model_dump(exclude_unset=True), actor.ref)
    session.commit()
    return ticket_public(session, cfg, ticket)


@router.post("/tickets/{ticket_id}/messages", response_model=MessagePublic, status_code=201)
def add_message(ticket_id: IdPath, body: MessageCreate, actor: TicketWorker, session: SessionDep,
                runtime: RuntimeDep, cfg: ServiceSettingsDep) -> MessagePublic:
    """An answer to the customer (out), an internal note, or a message the customer sent elsewhere (in)."""
    ticket = tickets.get(session, ticket_id, lock=True)
    message = tickets.add_message(session, cfg, ticket, body.direction, actor.name, body.body,
                                  attachments=_attachments(body.attachments))
    session.commit()
    if body.direction == "out" and ticket.channel == "email":
        notify.send(runtime.settings, notify.email_of(session, runtime.cipher, ticket.customer_id),
                    notify.subject_for(ticket), body.body)
    return MessagePublic.model_validate(message)


@router.post("/tickets/{ticket_id}/transitions", response_model=TicketPublic)
def transition(ticket_id: IdPath, body: TransitionCreate, actor: TicketWorker, session: SessionDep,
               cfg: ServiceSettingsDep) -> TicketPublic:
    """Move the ticket: open, waiting (for the customer), on hold, resolved, closed; 409 when not allowed."""
    ticket = tickets.get(session, ticket_id, lock=True)
    tickets.move(session, cfg, ticket, body.status, actor.ref)
    session.commit()
    return ticket_public(session, cfg, ticket)


@router.post("/tickets/{ticket_id}/resolution", response_model=ResolutionReply)
def resolve(ticket_id: IdPath, body: ResolutionCreate, actor: TicketWorker, session: SessionDep,
            runtime: RuntimeDep, cfg: ServiceSettingsDep) -> ResolutionReply:
    """Resolve with a root cause and a resolution type, goodwill within the role's limit; a CSAT survey follows."""
    ticket = tickets.get(session, ticket_id, lock=True)
    sent = resolution.resolve(session, cfg, ticket, resolution.ResolutionIn(**body.model_dump()), actor)
    session.commit()
    link = sent.link(cfg.public_url) if sent else None
    if link:
        notify.send(runtime.settings, notify.email_of(session, runtime.cipher, ticket.customer_id),
                    f"How did we do? {notify.subject_for(ticket)}",
                    f"Your request #{ticket.id} is resolved. Tell us how we did (one click, 1–5):\n{link}\n")
    return ResolutionReply(ticket=ticket_public(session, cfg, ticket), survey_link=link)


@router.post("/tickets/{ticket_id}/returns", response_model=ReturnPublic, status_code=201)
def request_return(ticket_id: IdPath, body: ReturnCreate, actor: TicketWorker, session: SessionDep) -> ReturnPublic:
    ticket = tickets.get(session, ticket_id, lock=True)
    row = returns.request(session, ticket, body.kind, body.order_line_id, body.quantity, actor.ref)
    session.commit()
    return ReturnPublic.model_validate(row)


@router.post("/tickets/{ticket_id}/returns/{return_id}/transitions", response_model=ReturnPublic)
def move_return(ticket_id: IdPath, return_id: IdPath, body: ReturnTransition, actor: TicketWorker,
                session: SessionDep) -> ReturnPublic:
    row = returns.move(session, return_id, ticket_id, body.state, actor.ref)
    session.commit()
    return ReturnPublic.model_validate(row)


@router.get("/service/categories", response_model=list[CategoryPublic])
def list_categories(actor: TicketWorker, session: SessionDep) -> list[CategoryPublic]:
    rows = categories.all_categories(session)
    session.commit()
    return [CategoryPublic.model_validate(c) for c in rows]


@router.put("/service/categories/{category}/{code}", response_model=CategoryPublic)
def save_category(category: Annotated[str, Path(max_length=40)], code: Annotated[str, Path(max_length=40)], body: CategorySave,
                  actor: TicketWorker, session: SessionDep) -> CategoryPublic:
    """Add or edit a subcategory and its keywords (zh and en)."""
    row = categories.save(session, category, code, **body.model_dump())
    session.commit()
    return CategoryPublic.model_validate(row)


@router.get("/service/categories/accuracy", response_model=AccuracyPublic)
def suggestion_accuracy(actor: TicketWorker, session: SessionDep) -> AccuracyPublic:
    """How often suggestions held (on confirmed tickets), and the latest classifier training's held-out figures."""
    acc = categories.accuracy(session)
    row = training.latest(session)
    return AccuracyPublic(suggested=acc.suggested, correct=acc.correct, rate=acc.rate,
                          classifier=ClassifierPublic.model_validate(row) if row else None)


@router.post("/service/categories/classifier", response_model=ClassifierPublic)
def retrain_classifier(actor: TicketWorker, session: SessionDep) -> ClassifierPublic:
    """Retrain the naive Bayes on closed tickets now (replaces today's model; the daily job does the same)."""
    row = training.retrain(session, categories.rules(session))
    session.commit()
    return ClassifierPublic.model_validate(row)


@router.get("/service/teams", response_model=list[TeamPublic])
def list_teams(actor: TicketWorker, session: SessionDep) -> list[TeamPublic]:
    return [TeamPublic.model_validate(t) for t in teams.list_teams(session)]


@router.post("/service/teams", response_model=TeamPublic, status_code=201)
def create_team(body: TeamCreate, actor: TicketWorker, session: SessionDep) -> TeamPublic:
    team = teams.create_team(session, body.name, lead_email=body.lead_email, vip=body.vip)
    session.commit()
    return TeamPublic.model_validate(team)


@router.post("/service/teams/{team_id}/agents", response_model=AgentPublic, status_code=201)
def add_agent(team_id: IdPath, body: AgentCreate, actor: TicketWorker, session: SessionDep) -> AgentPublic:
    agent = teams.add_agent(session, team_id, body.name, skills=body.skills, staff_user_id=body.staff_user_id,
                            max_open=body.max_open)
    session.commit()
    return AgentPublic.model_validate(agent)


@router.post("/surveys", response_model=SurveySent, status_code=201)
def send_survey(body: SurveyCreate, actor: TicketWorker, session: SessionDep, runtime: RuntimeDep,
                cfg: ServiceSettingsDep) -> SurveySent:
    """Send an NPS (or CSAT) survey to a customer; the reply holds the single-use link."""
    from guanxi.customers import profiles

    profiles.live_customer(session, body.customer_id)
    sent = surveys.send(session, cfg, body.kind, customer_id=body.customer_id)
    session.commit()
    link = sent.link(cfg.public_url)
    notify.send(runtime.settings, notify.email_of(session, runtime.cipher, body.customer_id),
                "How likely are you to recommend us?", f"One question, one click:\n{link}\n")
    return SurveySent(id=sent.survey.id, kind=sent.survey.kind, link=link, expires_at=sent.survey.expires_at)


@router.post("/surveys/{token}/answers", response_model=SurveyAnswered, status_code=201)
def answer_survey(token: Annotated[str, Path(min_length=8, max_length=100)], body: SurveyAnswer, session: SessionDep,
                  cfg: ServiceSettingsDep) -> SurveyAnswered:
    """Answer through the single-use link (no sign-in: the link is the key). A second answer is a 409."""
    survey = surveys.answer(session, cfg, token, body.score, body.comment)
    session.commit()
    return SurveyAnswered(id=survey.id, kind=survey.kind, score=survey.score,
                          follow_up_ticket_id=survey.follow_up_ticket_id)


@router.get("/service/reports")
def service_report(actor: TicketWorker, session: SessionDep,
                   since: Annotated[dt.date | None, Query(description="first day (default: 30 days ago)")] = None,
                   until: Annotated[dt.date | None, Query(description="last day, included (default: today)")] = None
                   ) -> dict:
    """CSAT by agent, category and week; NPS by month; response and resolution times; SLA attainment;
    reopen rate; top root causes."""
    today = dt.datetime.now(dt.UTC).date()
    until = until or today
    since = since or until - dt.timedelta(days=30)
    if since > until or (until - since).days > 3660:
        raise Invalid("since is before until, at most ten years apart")
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(until, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=1)
    return reports.report(session, start, end)


@router.get("/tickets/{ticket_id}/abuse-evidence")
def abuse_evidence(ticket_id: IdPath, actor: TicketWorker, session: SessionDep) -> dict:
    """The case's abuse flags and the tickets behind them, for review or export."""
    return abuse.evidence(session, tickets.get(session, ticket_id))


def _incident_public(session, incident) -> IncidentPublic:
    return IncidentPublic.model_validate(incident).model_copy(
        update={"ticket_ids": [t.id for t in incidents.members(session, incident.id)]})


@router.post("/service/incidents", response_model=IncidentPublic, status_code=201)
def create_incident(body: IncidentCreate, actor: TicketWorker, session: SessionDep) -> IncidentPublic:
    """Group tickets about one outage (the site, payments, a carrier)."""
    incident = incidents.create(session, body.title, body.kind)
    if body.ticket_ids:
        incidents.attach(session, incident, body.ticket_ids, actor.ref)
    session.commit()
    return _incident_public(session, incident)


@router.get("/service/incidents/candidates")
def incident_candidates(actor: TicketWorker, session: SessionDep,
                        hours: Annotated[int, Query(ge=1, le=72)] = 2,
                        min_tickets: Annotated[int, Query(ge=2, le=1000)] = 5) -> list[dict]:
    """Open tickets that look like one outage: many of one outage subcategory within `hours`."""
    return incidents.candidates(session, dt.datetime.now(dt.UTC), window=dt.timedelta(hours=hours),
                                min_tickets=min_tickets)


@router.get("/service/incidents/{incident_id}", response_model=IncidentPublic)
def get_incident(incident_id: IdPath, actor: TicketWorker, session: SessionDep) -> IncidentPublic:
    return _incident_public(session, incidents.get(session, incident_id))


@router.post("/service/incidents/{incident_id}/tickets", response_model=IncidentPublic)
def attach_tickets(incident_id: IdPath, body: IncidentTickets, actor: TicketWorker, session: SessionDep) -> IncidentPublic:
    incident = incidents.get(session, incident_id)
    incidents.attach(session, incident, body.ticket_ids, actor.ref)
    session.commit()
    return _incident_public(session, incident)


@router.post("/service/incidents/{incident_id}/replies", response_model=IncidentPublic)
def answer_incident(incident_id: IdPath, body: IncidentReply, actor: TicketWorker, session: SessionDep,
                    cfg: ServiceSettingsDep) -> IncidentPublic:
    """The same answer to every open ticket of the incident."""
    incident = incidents.get(session, incident_id)
    incidents.answer_all(session, cfg, incident, body.body, actor.name)
    session.commit()
    return _incident_public(session, incident)


@router.post("/service/incidents/{incident_id}/resolution", response_model=IncidentPublic)
def resolve_incident(incident_id: IdPath, body: IncidentResolution, actor: TicketWorker, session: SessionDep,
                     runtime: RuntimeDep, cfg: ServiceSettingsDep) -> IncidentPublic:
    """Resolve the incident and its open tickets together (each customer gets their CSAT link by e-mail);
    a customer's reply later reopens only theirs."""
    incident = incidents.get(session, incident_id)
    if incident.status != "open":
        raise Conflict("the incident is already resolved")
    sent = incidents.resolve_all(session, cfg, incident, body.root_cause, body.note, actor)
    session.commit()
    for ticket_id, survey in sent.items():
        if survey:
            ticket = tickets.get(session, ticket_id)
            notify.survey_link(runtime.settings, notify.email_of(session, runtime.cipher, ticket.customer_id),
                               ticket, survey.link(cfg.public_url))
    return _incident_public(session, incident)


def _action_public(session, action) -> ActionPublic:
    return ActionPublic.model_validate(action).model_copy(update=actions.complaint_rates(session, action))


@router.post("/service/actions", response_model=ActionPublic, status_code=201)
def create_action(body: ActionCreate, actor: TicketWorker, session: SessionDep) -> ActionPublic:
    """An improvement action from a root cause, owned by a team, due on a date."""
    action = actions.create(session, **body.model_dump())
    session.commit()
    return _action_public(session, action)


@router.get("/service/actions", response_model=list[ActionPublic])
def list_actions(actor: TicketWorker, session: SessionDep,
                 status: Annotated[str | None, Query(pattern="^(open|in_progress|done|dropped)$")] = None
                 ) -> list[ActionPublic]:
    return [_action_public(session, a) for a in actions.list_actions(session, status)]


@router.post("/service/actions/{action_id}/transitions", response_model=ActionPublic)
def move_action(action_id: IdPath, body: ActionTransition, actor: TicketWorker, session: SessionDep,
                runtime: RuntimeDep) -> ActionPublic:
    """Move the action; when it is done every complainant affected is told through care."""
    action = actions.move(session, runtime.cipher, actions.get(session, action_id), body.status)
    session.commit()
    return _action_public(session, action)


@router.get("/service/quality/sample", response_model=list[TicketSummary])
def quality_sample(actor: TicketWorker, session: SessionDep,
                   days: Annotated[int, Query(ge=1, le=365)] = 7,
                   size: Annotated[int, Query(ge=1, le=200)] = 20) -> list[TicketSummary]:
    """Closed tickets of the last `days`, not yet reviewed, picked at random for a lead to score."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return [TicketSummary.model_validate(t) for t in quality_reviews.sample(session, since, size)]


@router.post("/tickets/{ticket_id}/quality-review", status_code=201)
def quality_review(ticket_id: IdPath, body: QualityReviewCreate, actor: TicketWorker, session: SessionDep) -> dict:
    """Score a resolved or closed ticket against the checklist (GET /service/quality/checklist)."""
    row = quality_reviews.review(session, tickets.get(session, ticket_id), body.answers, actor.ref, body.comment)
    session.commit()
    return {"id": row.id, "ticket_id": row.ticket_id, "agent_id": row.agent_id, "score": row.score}


@router.get("/service/quality/checklist")
def quality_checklist(actor: TicketWorker) -> dict[str, str]:
    return quality_reviews.CHECKLIST


@router.get("/service/quality/scorecard")
def quality_scorecard(actor: TicketWorker, session: SessionDep,
                      days: Annotated[int, Query(ge=1, le=3660)] = 30) -> list[dict]:
    """Per agent: reviews and their average score, CSAT, SLA attainment over the last `days`."""
    return quality_reviews.scorecard(session, dt.datetime.now(dt.UTC) - dt.timedelta(days=days))


# The editable lists, configurable surveys and the rates report live in their own module.
from guanxi.service.settings_api import router as _settings_router  # noqa: E402

router.include_router(_settings_router)
