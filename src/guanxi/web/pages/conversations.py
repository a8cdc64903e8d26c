"""The conversation inbox page: threads from every channel, and one conversation with the reply box
beside the customer's summary, canned replies and the knowledge base."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from guanxi.conversations import agents, canned, handoff, knowledge, livechat, sidebar, suggest, targets, threads
from guanxi.conversations.fanout import FANOUT
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import utcnow
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.service.settings import get_service_settings
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render, state_of

router = APIRouter()
menu.add("inbox", N_("Inbox"), "/inbox", Perm.tickets_work, order=24)
Worker = page_for(Perm.tickets_work)
Text = Annotated[str, Query(max_length=40)]
FormText = Annotated[str, Form(max_length=5000)]
FormShort = Annotated[str, Form(max_length=40)]

VIEWS = {"open": N_("Open"), "mine": N_("Mine"), "unassigned": N_("Unassigned"), "all": N_("All")}
STATUS_LABELS = {"open": N_("Open"), "waiting": N_("Waiting for customer"), "closed": N_("Closed")}
TYPE_LABELS = {"pre_sales": N_("Pre-sales"), "order_status": N_("Order status"), "after_sales": N_("After-sales"),
               "complaint": N_("Complaint"), "other": N_("Other")}
TARGET_LABELS = {"none": N_("Answered"), "running": N_("On time"), "warning": N_("Due soon"),
                 "breached": N_("Overdue")}


def _target(conv):
    now = utcnow()
    return targets.evaluate(get_conversation_settings().schedule(now.date()), conv.channel,
                            waiting_since=conv.waiting_since, answered_before=conv.first_response_at is not None,
                            now=now)


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "type_labels": TYPE_LABELS, "target_labels": TARGET_LABELS}


@router.get("/inbox")
def inbox_page(request: Request, actor: Worker, session: SessionDep, view: Text = "open", channel: Text = "",
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    view = view if view in VIEWS else "open"
    me = agents.of_user(session, actor.id) if actor.kind == "user" else None
    filters: dict = {"status": None if view == "all" else ["open", "waiting"], "channel": channel or None,
                     "offset": offset, "limit": 50, "unassigned": view == "unassigned"}
    if view == "mine":
        filters["assignee_id"] = me.id if me else -1
    rows = threads.inbox(session, **filters)
    return render(request, "conversations/inbox.html", {
        "items": [(c, _target(c)) for c in rows], "view": view, "views": VIEWS, "channel": channel,
        "channels": threads.CHANNELS, "offset": offset, "agent_names": {a.id: a.name for a in agents.all_agents(session)},
        **_labels()}, fragment="conversations/_inbox_table.html")


def _context(request: Request, session, runtime, conv, *, kb_query: str = "", canned_id: int | None = None,
             error: str | None = None) -> dict:
    locale = "zh-CN" if state_of(request).locale.startswith("zh") else "en"
    draft = ""
    # With no search of their own, the agent sees the articles nearest to the customer's latest message.
    kb_query = kb_query or suggest.latest_question(session, runtime.cipher, conv)
    if canned_id:
        draft = canned.render(session, canned_id, {})
    return {
        "c": conv, "target": _target(conv), "error": error, "draft": draft, "kb_query": kb_query,
        "messages": [(m, threads.body_of(runtime.cipher, m)) for m in threads.messages_of(session, conv.id)],
        "customer": sidebar.summary(session, runtime.cipher, conv.customer_id) if conv.customer_id else None,
        "agents": agents.all_agents(session), "canned": canned.find(session, locale=locale),
        "hits": knowledge.search(session, kb_query, limit=5) if kb_query else [],
        "types": threads.TYPES, **_labels(),
    }


@router.get("/inbox/{conversation_id}")
def conversation_page(conversation_id: int, request: Request, actor: Worker, session: SessionDep,
                      runtime: RuntimeDep, kb: Annotated[str, Query(max_length=200)] = "",
                      canned_id: Annotated[int | None, Query(alias="canned", ge=1)] = None):
    conv = threads.get(session, conversation_id)
    return render(request, "conversations/conversation.html",
                  _context(request, session, runtime, conv, kb_query=kb, canned_id=canned_id))


def _done(request: Request, session, runtime, conv_id: int, error: GuanxiError | None):
    if error is None:
        session.commit()
        return RedirectResponse(f"/inbox/{conv_id}", status_code=303)
    session.rollback()
    return render(request, "conversations/conversation.html",
                  _context(request, session, runtime, threads.get(session, conv_id), error=error.detail), status=422)


@router.post("/inbox/{conversation_id}/reply")
def reply(conversation_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
          body: FormText = "", internal: FormShort = "", article_id: Annotated[int | None, Form(ge=1)] = None):
    """Answer the customer on their channel, or write an internal note; a knowledge-base article's link may come along."""
    conv = threads.get(session, conversation_id)
    error, handed = None, None
    try:
        if internal:
            threads.note(session, runtime.cipher, conv, body, actor.ref)
        else:
            if article_id is not None:
                knowledge.mark_sent(session, article_id)
            msg = threads.reply(session, runtime.cipher, conv, body, actor.ref, article_id=article_id)
            handed = livechat.handover(session, conv, msg, body.strip())
    except GuanxiError as exc:
        error = exc
    reply_page = _done(request, session, runtime, conversation_id, error)
    if error is None and handed is not None:
        FANOUT.notify(conversation_id, *handed)   # after the commit in _done: the visitor's stream sends it at once
    return reply_page


@router.post("/inbox/{conversation_id}/update")
def update(conversation_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
           type: FormShort = "", status: FormShort = "", assignee: FormShort = ""):
    conv = threads.get(session, conversation_id)
    error = None
    try:
        fields = {k: v for k, v in (("type", type), ("status", status)) if v}
        threads.update(session, conv, fields)
        if status:
            suggest.remember(session, runtime.cipher, conv)   # a settled question becomes a suggestion
        if assignee:
            if not assignee.isdigit():
                raise Invalid("choose an agent")
            if int(assignee) != conv.assignee_id:
                threads.transfer(session, runtime.cipher, conv, int(assignee), actor.ref)
    except GuanxiError as exc:
        error = exc
    return _done(request, session, runtime, conversation_id, error)


@router.post("/inbox/{conversation_id}/ticket")
def to_ticket(conversation_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep):
    conv = threads.get(session, conversation_id)
    try:
        ticket, _ = handoff.open_ticket(session, runtime.cipher, get_service_settings(), conv, actor.ref)
    except GuanxiError as exc:
        return _done(request, session, runtime, conversation_id, exc)
    session.commit()
    return RedirectResponse(f"/tickets/{ticket.id}", status_code=303)
