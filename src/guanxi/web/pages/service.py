"""Service desk pages: the ticket inbox, a ticket (reply, canned replies, status, category, resolution),
the survey page a customer opens from the e-mail's link, and "my tickets" on the member page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.privacy import audit
from guanxi.service import canned_store, categories, notify, resolution, returns, root_causes, surveys, teams, tickets
from guanxi.service.settings import get_service_settings
from guanxi.staff.roles import Actor, Perm
from guanxi.web import menu, sections
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.member_auth import Member
from guanxi.web.rendering import render, state_of

router = APIRouter()
menu.add("tickets", N_("Tickets"), "/tickets", Perm.tickets_work, order=25)
Worker = page_for(Perm.tickets_work)
Text = Annotated[str, Query(max_length=40)]
FormText = Annotated[str, Form(max_length=20000)]
FormShort = Annotated[str, Form(max_length=100)]

STATUS_LABELS = {"new": N_("New"), "open": N_("Open"), "waiting": N_("Waiting for customer"),
                 "on_hold": N_("On hold"), "resolved": N_("Resolved"), "closed": N_("Closed")}
SLA_LABELS = {"running": N_("On time"), "warning": N_("Due soon"), "breached": N_("Overdue"),
              "paused": N_("Paused"), "met": N_("Met"), "missed": N_("Missed")}
RESOLUTION_LABELS = {"refund": N_("Refund"), "replacement": N_("Replacement"), "coupon": N_("Coupon"),
                     "points": N_("Points"), "explanation": N_("Explanation")}
VIEWS = {"open": N_("Open tickets"), "mine": N_("Mine"), "overdue": N_("Overdue"), "all": N_("All tickets")}
OPEN = ["new", "open", "waiting", "on_hold"]


def _agent_of(session, actor: Actor):
    return teams.agent_for_user(session, actor.id) if actor.kind == "user" else None


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "sla_labels": SLA_LABELS, "resolution_labels": RESOLUTION_LABELS}


@router.get("/tickets")
def inbox(request: Request, actor: Worker, session: SessionDep, view: Text = "open", priority: Text = "",
          category: Text = "", offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    view = view if view in VIEWS else "open"
    agent = _agent_of(session, actor)
    filters: dict = {"status": OPEN if view != "all" else None, "priority": priority or None,
                     "category": category or None, "offset": offset, "limit": 50}
    if view == "mine":
        filters["assignee_id"] = agent.id if agent else -1
    if view == "overdue":
        filters["sla_state"] = "breached"
    rows = tickets.inbox(session, **filters)
    names = {a.id: a.name for a in teams.agents_of(session)}
    return render(request, "service/inbox.html", {
        "items": rows, "view": view, "views": VIEWS, "priority": priority, "category": category, "offset": offset,
        "agent_names": names, "categories": ("product", "logistics", "service", "system"), **_labels(),
    }, fragment="service/_inbox_table.html")


def _ticket_context(request: Request, session, ticket, actor: Actor, **extra) -> dict:
    cfg = get_service_settings()
    locale = state_of(request).locale
    msgs = tickets.messages(session, ticket.id)
    rules = categories.rules(session)
    return {
        "t": ticket, "clock": tickets.clock(session, cfg, ticket), "messages": msgs,
        "files": tickets.attachments_of(session, [m.id for m in msgs]), "events": tickets.events_of(session, ticket.id),
        "returns": returns.of_ticket(session, ticket.id),
        "eligibility": returns.eligibility(session, ticket.order_id) if ticket.order_id else [],
        "agent_names": {a.id: a.name for a in teams.agents_of(session)},
        "category_options": [(f"{r.category}.{r.code}", f"{r.category} · {r.name_zh if locale.startswith('zh') else r.name_en}")
                             for r in rules],
        "canned": [(c.key, canned_store.title(c, locale)) for c in canned_store.all_replies(session, active_only=True)],
        "root_causes": [(c.code, c.name_zh if locale.startswith("zh") else c.name_en)
                        for c in root_causes.all_causes(session) if c.active], "moves": [s for s in ("open", "waiting", "on_hold") if s != ticket.status],
        "can_goodwill": actor.can(Perm.loyalty_adjust), "error": None, **_labels(), **extra,
    }


@router.get("/tickets/{ticket_id}")
def ticket_page(ticket_id: int, request: Request, actor: Worker, session: SessionDep):
    ticket = tickets.get(session, ticket_id)
    return render(request, "service/ticket.html", _ticket_context(request, session, ticket, actor))


def _done(request: Request, session, ticket, actor: Actor, error: GuanxiError | None):
    if error is None:
        session.commit()
        return RedirectResponse(f"/tickets/{ticket.id}", status_code=303)
    session.rollback()
    ticket = tickets.get(session, ticket.id)
    return render(request, "service/ticket.html",
                  _ticket_context(request, session, ticket, actor, error=error.detail), status=422)


@router.post("/tickets/{ticket_id}/take")
def take(ticket_id: int, request: Request, actor: Worker, session: SessionDep):
    """Assign the ticket to me (joining its team as an agent the first time)."""
    ticket = tickets.get(session, ticket_id, lock=True)
    error = None
    try:
        agent = _agent_of(session, actor)
        if agent is None:
            team_id = ticket.team_id or teams.default_team(session).id
            agent = teams.add_agent(session, team_id, actor.name, staff_user_id=actor.id)
        teams.assign(session, ticket, agent.id, actor.ref)
    except GuanxiError as exc:
        error = exc
    return _done(request, session, ticket, actor, error)


@router.post("/tickets/{ticket_id}/reply")
def reply(ticket_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
          body: FormText = "", template: FormShort = "", internal: FormShort = ""):
    """Answer the customer or add an internal note; a canned reply fills an empty body and applies its macro."""
    cfg = get_service_settings()
    ticket = tickets.get(session, ticket_id, lock=True)
    error, sent_text = None, None
    try:
        macro = canned_store.get(session, template, active=True) if template else None
        text = body.strip()
        if not text and macro:
            text = canned_store.render(macro, state_of(request).locale, ticket=ticket.id, agent=actor.name,
                                       customer=_customer_name(session, runtime, actor, ticket.customer_id))
        direction = "note" if internal else "out"
        tickets.add_message(session, cfg, ticket, direction, actor.name, text, channel="web")
        if macro and macro.tag:
            tickets.update(session, cfg, ticket, {"tags": [*ticket.tags, macro.tag]}, actor.ref)
        if macro and macro.status and macro.status != ticket.status:
            tickets.move(session, cfg, ticket, macro.status, actor.ref)
        sent_text = text if direction == "out" and ticket.channel == "email" else None
    except GuanxiError as exc:
        error = exc
    response = _done(request, session, ticket, actor, error)
    if sent_text:
        notify.send(runtime.settings, notify.email_of(session, runtime.cipher, ticket.customer_id),
                    notify.subject_for(ticket), sent_text)
    return response


def _customer_name(session, runtime, actor: Actor, customer_id: int | None) -> str:
    # Only the name goes into a canned reply; it is the customer's own, written back to them.
    if customer_id is None:
        return ""
    from guanxi.customers import profiles

    name = profiles.view(session, runtime.cipher, customer_id, reveal=True, timeline_limit=0).get("name") or ""
    audit.record_pii_read(session, actor, "customer", customer_id, via="canned_reply",
                          threshold_per_hour=runtime.settings.pii_alert_per_hour)
    return name


@router.post("/tickets/{ticket_id}/status")
def change_status(ticket_id: int, request: Request, actor: Worker, session: SessionDep, status: FormShort = ""):
    ticket = tickets.get(session, ticket_id, lock=True)
    error = None
    try:
        tickets.move(session, get_service_settings(), ticket, status, actor.ref)
    except GuanxiError as exc:
        error = exc
    return _done(request, session, ticket, actor, error)


@router.post("/tickets/{ticket_id}/category")
def change_category(ticket_id: int, request: Request, actor: Worker, session: SessionDep, category: FormShort = ""):
    ticket = tickets.get(session, ticket_id, lock=True)
    error = None
    try:
        top, _, sub = category.partition(".")
        tickets.update(session, get_service_settings(), ticket, {"category": top, "subcategory": sub}, actor.ref)
    except GuanxiError as exc:
        error = exc
    return _done(request, session, ticket, actor, error)


@router.post("/tickets/{ticket_id}/resolve")
def resolve(ticket_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
            root_cause: FormShort = "", resolution_type: FormShort = "", goodwill_points: FormShort = "0",
            note: FormText = ""):
    cfg = get_service_settings()
    ticket = tickets.get(session, ticket_id, lock=True)
    error, sent = None, None
    try:
        points = int(goodwill_points or 0) if (goodwill_points or "0").strip().isdigit() else None
        if points is None:
            raise Invalid("goodwill points are a whole number")
        sent = resolution.resolve(session, cfg, ticket, resolution.ResolutionIn(
            root_cause=root_cause, resolution_type=resolution_type, note=note, goodwill_points=points), actor)
    except GuanxiError as exc:
        error = exc
    response = _done(request, session, ticket, actor, error)
    link = sent.link(cfg.public_url) if sent and error is None else None
    if link:
        notify.send(runtime.settings, notify.email_of(session, runtime.cipher, ticket.customer_id),
                    f"How did we do? {notify.subject_for(ticket)}",
                    f"Your request #{ticket.id} is resolved. Tell us how we did (1–5):\n{link}\n")
    return response


# --- the customer's side ------------------------------------------------------------------------

@router.get("/s/{token}")
def survey_page(token: str, request: Request, session: SessionDep):
    survey = surveys.by_token(session, token[:100])
    return render(request, "service/survey.html", _survey_context(session, survey, token))


def _survey_context(session, survey, token: str, **extra) -> dict:
    questions = surveys.questions_of(session, survey) if survey.kind == "custom" else []
    return {"survey": survey, "token": token, "questions": questions, "error": None, "given": {}, **extra}


async def _survey_form(request: Request) -> dict[str, str]:
    # A custom survey's fields are named after its questions (q_<key>), so they are read from the form itself.
    return {k: str(v) for k, v in (await request.form()).items() if len(k) <= 42}


@router.post("/s/{token}")
def survey_answer(token: str, request: Request, session: SessionDep,
                  form: Annotated[dict[str, str], Depends(_survey_form)]):
    survey = surveys.by_token(session, token[:100])
    given = {k[2:]: str(v)[:2000] for k, v in form.items() if k.startswith("q_") and len(k) <= 42}
    try:
        if survey.kind == "custom":
            surveys.answer_questions(session, get_service_settings(), token[:100], given)
        else:
            score = str(form.get("score", ""))[:10]
            if not score.strip().isdigit():
                raise Invalid(state_of(request).t.gettext("Choose a score."))
            surveys.answer(session, get_service_settings(), token[:100], int(score), str(form.get("comment", ""))[:2000])
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        survey = surveys.by_token(session, token[:100])
        return render(request, "service/survey.html", _survey_context(session, survey, token, error=exc.detail,
                                                                      given=given),
                      status=422 if exc.status == 422 else exc.status)
    return render(request, "service/survey.html", _survey_context(session, survey, token, thanks=True))


@router.post("/m/tickets")
def member_opens_ticket(request: Request, member: Member, session: SessionDep, subject: FormShort = "",
                        body: FormText = ""):
    """A member asks for help from the member page; the ticket joins the inbox like any other."""
    if not subject.strip() or not body.strip() or len(body) > 5000:
        raise Invalid(state_of(request).t.gettext("Write a subject and what happened."))
    tickets.create(session, get_service_settings(), tickets.TicketIn(
        subject=subject.strip()[:100], body=body.strip(), customer_id=member.id, channel="member_page",
        source="member"), member.ref)
    session.commit()
    return RedirectResponse("/m/#tickets", status_code=303)


@sections.member_section("tickets", N_("My tickets"), "service/_member_tickets.html", order=40)
def member_tickets(session, runtime, customer_id: int) -> dict:
    rows = tickets.inbox(session, customer_id=customer_id, limit=20)
    return {"tickets": sorted(rows, key=lambda t: t.created_at, reverse=True), "status_labels": STATUS_LABELS}


@sections.customer_section("tickets", N_("Tickets"), "service/_customer_tickets.html", perm=Perm.customers_read)
def customer_tickets(session, runtime, customer_id: int) -> dict:
    rows = tickets.inbox(session, customer_id=customer_id, limit=20)
    return {"tickets": sorted(rows, key=lambda t: t.created_at, reverse=True), "status_labels": STATUS_LABELS}
