"""The conversation inbox page: threads from every channel, and one conversation with the reply box
beside the customer's summary, canned replies and the knowledge base."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from guanxi.conversations import (agents, attachments, canned, handoff, knowledge, livechat, moods, sidebar, suggest,
                                  targets, threads)
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
MOOD_LABELS = {"positive": N_("Positive"), "neutral": N_("Neutral"), "negative": N_("Negative")}
TARGET_LABELS = {"none": N_("Answered"), "running": N_("On time"), "warning": N_("Due soon"),
                 "breached": N_("Overdue")}


def _target(conv):
    now = utcnow()
    return targets.evaluate(get_conversation_settings().schedule(now.date()), conv.channel,
                            waiting_since=conv.waiting_since, answered_before=conv.first_response_at is not None,
                            now=now)


def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "type_labels": TYPE_LABELS, "target_labels": TARGET_LABELS,
            "mood_labels": MOOD_LABELS}


def _messages(session, runtime, conv) -> dict:
    msgs = threads.messages_of(session, conv.id)
    files = attachments.of_messages(session, [m.id for m in msgs])
    return {"messages": [(m, threads.body_of(runtime.cipher, m)) for m in msgs],
            "files": {mid: [attachments.public(runtime.cipher, a) for a in rows] for mid, rows in files.items()},
            "mood": moods.recent(session, conv.id), "last_id": msgs[-1].id if msgs else 0}


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
        **_messages(session, runtime, conv),
        "customer": sidebar.summary(session, runtime.cipher, conv.customer_id) if conv.customer_id else None,
        "agents": agents.all_agents(session), "canned": canned.find(session, locale=locale),
        "hits": knowledge.search(session, kb_query, limit=5) if kb_query else [],
        "types": threads.TYPES, **_labels(),
    }


@router.get("/inbox/{conversation_id}/messages")
def messages_fragment(conversation_id: int, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
                      seen: Annotated[int | None, Query(ge=0)] = None):
    """The thread and the customer's mood, re-read every few seconds by the page (HTMX), so new messages show up.
    Nothing new since `seen` (the newest id the page has): 204, and the page keeps what it shows (images too)."""
    conv = threads.get(session, conversation_id)
    if seen is not None and threads.last_message_id(session, conv.id) == seen:
        return Response(status_code=204)
    return render(request, "conversations/_messages.html", {"c": conv, **_messages(session, runtime, conv), **_labels()},
                  fragment="conversations/_messages.html")


@router.get("/inbox/{conversation_id}/attachments/{attachment_id}")
def attachment_file(conversation_id: int, attachment_id: int, actor: Worker, session: SessionDep, runtime: RuntimeDep):
    from guanxi.conversations.attachments_api import file_response

    att = attachments.get_in(session, threads.get(session, conversation_id), attachment_id)
    return file_response(runtime, att, attachments.store_at(runtime.settings.data_dir).read(runtime.cipher,
                                                                                               att.storage_key))


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
          body: FormText = "", internal: FormShort = "", article_id: Annotated[int | None, Form(ge=1)] = None,
          file: Annotated[UploadFile | None, File()] = None):
    """Answer the customer on their channel, or write an internal note; a knowledge-base article's link or a file
    may come along."""
    conv = threads.get(session, conversation_id)
    error, handed = None, None
    try:
        if file is not None and file.filename:   # a form without a chosen file still sends an empty part
            cfg = get_conversation_settings()
            data = file.file.read(cfg.attachment_max_bytes + 1)
            attachments.reply_with_file(session, runtime.cipher, attachments.store_at(runtime.settings.data_dir), cfg,
                                        conv, actor.ref, file.filename, data, text=body)
        elif internal:
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
