"""Service desk pages for the closed loop: incidents (group, answer all, resolve all), improvement actions
(from a root cause, owned by a team, told to the complainants when done) and quality checks (质检: the sample,
the checklist form, the per-agent scorecard). The service functions do the work; these pages only call them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import Conflict, GuanxiError, Invalid
from guanxi.service import (actions, categories, incidents, notify, quality_reviews, root_causes, taxonomy, teams,
                            tickets, training)
from guanxi.service.settings import get_service_settings
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.pages.service import STATUS_LABELS
from guanxi.web.rendering import is_htmx, render

router = APIRouter()
menu.add("incidents", N_("Incidents"), "/service/incidents", Perm.tickets_work, order=26)
menu.add("actions", N_("Improvement actions"), "/service/actions", Perm.tickets_work, order=27)
menu.add("quality", N_("Quality checks"), "/service/quality", Perm.tickets_work, order=28)
Worker = page_for(Perm.tickets_work)
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=20000)]
Ids = Annotated[list[str], Form(max_length=500)]

KIND_LABELS = {"site": N_("Site or app down"), "payment": N_("Payments"), "carrier": N_("Carrier"), "other": N_("Other")}
INCIDENT_LABELS = {"open": N_("Open"), "resolved": N_("Resolved")}
ACTION_LABELS = {"open": N_("Open"), "in_progress": N_("In progress"), "done": N_("Done"), "dropped": N_("Dropped")}
# The checklist's keys come from quality_reviews.CHECKLIST; its English texts are repeated here so they translate.
CHECKLIST_LABELS = {"greeting": N_("Greeted the customer by name"), "understood": N_("Understood and restated the problem"),
                    "accurate": N_("Gave correct information and policy"), "tone": N_("Polite, no banned words"),
                    "resolved": N_("Solved it, or said clearly what happens next"),
                    "category": N_("Category and root cause are right")}


def _ids(values: list[str]) -> list[int]:
    """Ticket numbers from checkboxes or a typed list ("12, 13 #14")."""
    out = []
    for value in values:
        for part in value.replace(",", " ").split():
            part = part.lstrip("#")
            if not part.isdigit() or len(part) > 18:
                raise Invalid(f"{part!r} is not a ticket number")
            out.append(int(part))
    if not out:
        raise Invalid("choose at least one ticket")
    return sorted(set(out))


# --- incidents ------------------------------------------------------------------------------------

def _incidents(request: Request, session, *, status: int = 200, **extra):
    open_tickets = incidents.ungrouped_open(session)
    suggested = incidents.candidates(session, dt.datetime.now(dt.UTC), window=dt.timedelta(hours=24), min_tickets=2)
    return render(request, "service/incidents.html", {
        "rows": incidents.list_incidents(session), "open_tickets": open_tickets, "suggested": suggested,
        "preselected": {tid for group in suggested for tid in group["tickets"]}, "kinds": KIND_LABELS,
        "incident_labels": INCIDENT_LABELS, "status_labels": STATUS_LABELS, "error": None, "form": {}, **extra,
    }, fragment="service/_incidents.html", status=status)


@router.get("/service/incidents")
def incidents_page(request: Request, actor: Worker, session: SessionDep):
    return _incidents(request, session)


@router.post("/service/incidents")
def create_incident(request: Request, actor: Worker, session: SessionDep, title: Short = "", kind: Short = "",
                    ticket_ids: Ids = []):  # noqa: B006 (FastAPI copies form defaults)
    try:
        incident = incidents.create(session, title, kind)
        incidents.attach(session, incident, _ids(ticket_ids), actor.ref)
    except GuanxiError as exc:
        session.rollback()
        return _incidents(request, session, status=exc.status, error=exc.detail, form={"title": title, "kind": kind})
    session.commit()
    return RedirectResponse(f"/service/incidents/{incident.id}", status_code=303)


def _incident(request: Request, session, incident_id: int, *, status: int = 200, **extra):
    incident = incidents.get(session, incident_id)
    return render(request, "service/incident.html", {
        "i": incident, "members": incidents.members(session, incident.id), "kinds": KIND_LABELS,
        "incident_labels": INCIDENT_LABELS, "status_labels": STATUS_LABELS,
        "root_causes": root_causes.active_codes(session), "error": None, **extra,
    }, status=status)


@router.get("/service/incidents/{incident_id}")
def incident_page(incident_id: int, request: Request, actor: Worker, session: SessionDep):
    return _incident(request, session, incident_id)


def _incident_done(request: Request, session, incident_id: int, error: GuanxiError | None):
    if error is None:
        session.commit()
        return RedirectResponse(f"/service/incidents/{incident_id}", status_code=303)
    session.rollback()
    return _incident(request, session, incident_id, status=error.status, error=error.detail)


@router.post("/service/incidents/{incident_id}/tickets")
def attach_tickets(incident_id: int, request: Request, actor: Worker, session: SessionDep, ticket_ids: Ids = []):  # noqa: B006
    incident = incidents.get(session, incident_id)
    try:
        incidents.attach(session, incident, _ids(ticket_ids), actor.ref)
    except GuanxiError as exc:
        return _incident_done(request, session, incident_id, exc)
    return _incident_done(request, session, incident_id, None)


@router.post("/service/incidents/{incident_id}/reply")
def answer_all(incident_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
               body: Long = ""):
    """One answer to every open ticket; customers who wrote by e-mail get it by e-mail, as on a ticket's page."""
    cfg = get_service_settings()
    incident = incidents.get(session, incident_id)
    try:
        if not body.strip():
            raise Invalid("write the answer")
        answered = incidents.answer_all(session, cfg, incident, body.strip(), actor.name)
    except GuanxiError as exc:
        return _incident_done(request, session, incident_id, exc)
    mail = [(t.customer_id, notify.subject_for(t)) for t in (tickets.get(session, tid) for tid in answered)
            if t.channel == "email" and t.customer_id]
    response = _incident_done(request, session, incident_id, None)
    for customer_id, subject in mail:  # after the commit: nobody is told about an answer that did not stick
        notify.send(runtime.settings, notify.email_of(session, runtime.cipher, customer_id), subject, body.strip())
    return response


@router.post("/service/incidents/{incident_id}/resolve")
def resolve_all(incident_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
                root_cause: Short = "", note: Long = ""):
    """Resolve the incident and its open tickets; every customer gets their own ticket's CSAT link by e-mail."""
    cfg = get_service_settings()
    incident = incidents.get(session, incident_id)
    try:
        if incident.status != "open":
            raise Conflict("the incident is already resolved")
        sent = incidents.resolve_all(session, cfg, incident, root_cause, note[:5000], actor)
    except GuanxiError as exc:
        return _incident_done(request, session, incident_id, exc)
    links = [(tickets.get(session, tid), s.link(cfg.public_url)) for tid, s in sent.items() if s]
    response = _incident_done(request, session, incident_id, None)
    for ticket, link in links:  # after the commit, as for a single ticket
        notify.survey_link(runtime.settings, notify.email_of(session, runtime.cipher, ticket.customer_id), ticket, link)
    return response


# --- improvement actions --------------------------------------------------------------------------

def _actions(request: Request, session, *, status: int = 200, filter_status: str = "", **extra):
    rows = [(a, actions.complaint_rates(session, a)) for a in actions.list_actions(session, filter_status or None)]
    return render(request, "service/actions.html", {
        "rows": rows, "team_names": {t.id: t.name for t in teams.list_teams(session)},
        "team_options": teams.list_teams(session), "root_causes": root_causes.active_codes(session),
        "subcategories": [f"{r.category}.{r.code}" for r in taxonomy.DEFAULT_RULES], "moves": actions.MOVES,
        "action_labels": ACTION_LABELS, "filter_status": filter_status, "error": None, "form": {}, **extra,
    }, fragment="service/_actions.html", status=status)


@router.get("/service/actions")
def actions_page(request: Request, actor: Worker, session: SessionDep,
                 status: Annotated[str, Query(max_length=20)] = "",
                 root_cause: Annotated[str, Query(max_length=100)] = ""):
    """`root_cause` fills the new action's form (the link from a resolved incident)."""
    form = {"root_cause": root_cause} if root_cause in root_causes.active_codes(session) else {}
    return _actions(request, session, filter_status=status if status in ACTION_LABELS else "", form=form)


@router.post("/service/actions")
def create_action(request: Request, actor: Worker, session: SessionDep, title: Short = "", root_cause: Short = "",
                  subcategory: Short = "", team_id: Short = "", due_on: Short = ""):
    form = {"title": title, "root_cause": root_cause, "subcategory": subcategory, "team_id": team_id, "due_on": due_on}
    try:
        if not title.strip():
            raise Invalid("an action needs a title")
        if team_id and not team_id.isdigit():
            raise Invalid("choose a team from the list")
        try:
            due = dt.date.fromisoformat(due_on) if due_on else None
        except ValueError:
            raise Invalid("the due date is a date like 2026-12-31") from None
        category, _, sub = subcategory.partition(".")
        actions.create(session, title=title, root_cause=root_cause, category=category or None,
                       subcategory=sub or None, team_id=int(team_id) if team_id else None, due_on=due)
    except GuanxiError as exc:
        session.rollback()
        return _actions(request, session, status=exc.status, error=exc.detail, form=form)
    session.commit()
    if is_htmx(request):
        return _actions(request, session)
    return RedirectResponse("/service/actions", status_code=303)


@router.post("/service/actions/{action_id}/status")
def move_action(action_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
                status: Short = ""):
    """Move an action; done tells every complainant affected through care (actions.move does that)."""
    try:
        actions.move(session, runtime.cipher, actions.get(session, action_id), status)
    except GuanxiError as exc:
        session.rollback()
        return _actions(request, session, status=exc.status, error=exc.detail)
    session.commit()
    if is_htmx(request):
        return _actions(request, session)
    return RedirectResponse("/service/actions", status_code=303)


# --- quality checks -------------------------------------------------------------------------------

def _quality(request: Request, session, days: int, *, status: int = 200, **extra):
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    # Seeded by the day: reloading the page keeps today's sample instead of drawing a new one each time.
    sample = quality_reviews.sample(session, since, 20, seed=dt.date.today().toordinal())
    return render(request, "service/quality.html", {
        "sample": sample, "scorecard": quality_reviews.scorecard(session, since), "days": days,
        "live": categories.accuracy(session), "trained": training.latest(session),
        "agent_names": {a.id: a.name for a in teams.agents_of(session)}, "status_labels": STATUS_LABELS,
        "error": None, "scored": None, **extra,
    }, fragment="service/_quality.html", status=status)


@router.get("/service/quality")
def quality_page(request: Request, actor: Worker, session: SessionDep,
                 days: Annotated[int, Query(ge=1, le=365)] = 30, scored: Annotated[int | None, Query(ge=1)] = None):
    return _quality(request, session, days, scored=scored)


def _review_form(request: Request, session, ticket_id: int, *, status: int = 200, **extra):
    ticket = tickets.get(session, ticket_id)
    return render(request, "service/quality_review.html", {
        "t": ticket, "messages": tickets.messages(session, ticket.id), "checklist": CHECKLIST_LABELS,
        "agent_names": {a.id: a.name for a in teams.agents_of(session)}, "status_labels": STATUS_LABELS,
        "error": None, "checked": set(), "comment": "", **extra,
    }, status=status)


@router.get("/service/quality/{ticket_id}")
def review_page(ticket_id: int, request: Request, actor: Worker, session: SessionDep):
    return _review_form(request, session, ticket_id)


@router.post("/service/quality/{ticket_id}")
def score_ticket(ticket_id: int, request: Request, actor: Worker, session: SessionDep,
                 passed: Annotated[list[str], Form(max_length=20)] = [], comment: Long = ""):  # noqa: B006
    """Every checklist item is answered: a ticked box passed, an unticked one failed."""
    unknown = set(passed) - set(quality_reviews.CHECKLIST)
    try:
        if unknown:
            raise Invalid(f"unknown checklist items: {', '.join(sorted(unknown))}")
        answers = {key: key in passed for key in quality_reviews.CHECKLIST}
        quality_reviews.review(session, tickets.get(session, ticket_id), answers, actor.ref, comment.strip()[:5000])
    except GuanxiError as exc:
        session.rollback()
        return _review_form(request, session, ticket_id, status=exc.status, error=exc.detail,
                            checked=set(passed), comment=comment)
    session.commit()
    return RedirectResponse(f"/service/quality?scored={ticket_id}", status_code=303)


@router.post("/service/classifier")
def retrain_classifier(request: Request, actor: Worker, session: SessionDep):
    """Retrain the category classifier now (the daily job does it too); the quality page shows the result."""
    training.retrain(session, categories.rules(session))
    session.commit()
    return RedirectResponse("/service/quality#hsuggest", status_code=303)
