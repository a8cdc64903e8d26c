"""The inbox over HTTP: conversations (list, read, reply, note with mentions, transfer, ticket, calls),
agents, and the reply box's customer summary. Knowledge base, canned replies, call-backs and figures
are in `kb_api`; platform webhooks in `webhooks_api`; the widget's endpoints in `chat_api`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from guanxi.conversations import agents, handoff, knowledge, livechat, sidebar, suggest, threads
from guanxi.conversations import customer_hooks as _customer_hooks  # noqa: F401  (timeline, export, erasure, merge)
from guanxi.conversations import targets
from guanxi.conversations.attachments_api import router as attachments_router
from guanxi.conversations.chat_api import router as chat_router
from guanxi.conversations.fanout import FANOUT
from guanxi.conversations.kb_api import router as kb_router
from guanxi.conversations.models import Conversation
from guanxi.conversations.schemas import (
    AgentCreate, AgentPublic, AgentStatusUpdate, CallCreate, ConversationPublic, ConversationsPage,
    ConversationSummary, ConversationUpdate, ConvStatus, ConvType, DedicatedAgentSet, MessagePublic, NoteCreate,
    ReplyCreate, TargetPublic, TicketFromConversation, TransferCreate,
)
from guanxi.conversations.settings import ConversationSettings, get_conversation_settings
from guanxi.conversations.webhooks_api import router as webhooks_router
from guanxi.db import utcnow
from guanxi.deps import RuntimeDep, SessionDep, allowed
from guanxi.errors import Invalid
from guanxi.schemas import IdPath
from guanxi.service.settings import ServiceSettings, get_service_settings
from guanxi.staff.roles import Actor, Perm

router = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["conversations"])
Agent = allowed(Perm.tickets_work)
SettingsDep = Annotated[ConversationSettings, Depends(get_conversation_settings)]
ServiceSettingsDep = Annotated[ServiceSettings, Depends(get_service_settings)]


def _summary(conv: Conversation, cfg: ConversationSettings) -> ConversationSummary:
    now = utcnow()
    t = targets.evaluate(cfg.schedule(now.date()), conv.channel, waiting_since=conv.waiting_since,
                         answered_before=conv.first_response_at is not None, now=now)
    return ConversationSummary.model_validate(conv).model_copy(update={"target": TargetPublic.model_validate(t)})


def _public(session, runtime, cfg, conv: Conversation) -> ConversationPublic:
    msgs = [MessagePublic.model_validate({**{c: getattr(m, c) for c in MessagePublic.model_fields if c != "body"},
                                          "body": threads.body_of(runtime.cipher, m)})
            for m in threads.messages_of(session, conv.id)]
    return ConversationPublic(**_summary(conv, cfg).model_dump(), messages=msgs)


def _my_agent_id(session, actor: Actor) -> int | None:
    agent = agents.of_user(session, actor.id) if actor.kind == "user" else None
    return agent.id if agent else None


@api.get("/conversations", response_model=ConversationsPage)
def list_conversations(actor: Agent, session: SessionDep, cfg: SettingsDep,
                       status: Annotated[list[ConvStatus] | None, Query()] = None,
                       channel: Annotated[str | None, Query(max_length=20)] = None,
                       type: ConvType | None = None, assignee_id: Annotated[int | None, Query(ge=1)] = None,
                       mine: bool = False, unassigned: bool = False, mentions_me: bool = False,
                       customer_id: Annotated[int | None, Query(ge=1)] = None,
                       tag: Annotated[str | None, Query(max_length=40)] = None,
                       offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """The inbox: longest-waiting first. `mine` and `mentions_me` need the caller to be an agent."""
    me = _my_agent_id(session, actor) if (mine or mentions_me) else None
    if (mine or mentions_me) and me is None:
        raise Invalid("you are not set up as an agent (POST /api/v1/conversation-agents with your staff_user_id)")
    rows = threads.inbox(session, status=status, channel=channel, type=type,
                         assignee_id=me if mine else assignee_id, unassigned=unassigned, customer_id=customer_id,
                         tag=tag, mentioning=me if mentions_me else None, offset=offset, limit=limit)
    return ConversationsPage(items=[_summary(c, cfg) for c in rows], offset=offset, limit=limit)


@api.get("/conversations/{conversation_id}", response_model=ConversationPublic)
def read_conversation(conversation_id: IdPath, actor: Agent, session: SessionDep, runtime: RuntimeDep,
                      cfg: SettingsDep):
    return _public(session, runtime, cfg, threads.get(session, conversation_id))


@api.patch("/conversations/{conversation_id}", response_model=ConversationPublic)
def update_conversation(conversation_id: IdPath, body: ConversationUpdate, actor: Agent, session: SessionDep,
                        runtime: RuntimeDep, cfg: SettingsDep):
    conv = threads.update(session, threads.get(session, conversation_id), body.model_dump(exclude_unset=True))
    if body.status is not None:
        suggest.remember(session, runtime.cipher, conv)   # a settled question becomes a suggestion
    session.commit()
    return _public(session, runtime, cfg, conv)


@api.post("/conversations/{conversation_id}/replies", response_model=MessagePublic, status_code=201)
def reply(conversation_id: IdPath, body: ReplyCreate, actor: Agent, session: SessionDep, runtime: RuntimeDep):
    """Answer the customer on their channel (sent by the reply run; live chat at once)."""
    conv = threads.get(session, conversation_id)
    if body.article_id is not None:
        knowledge.mark_sent(session, body.article_id)
    msg = threads.reply(session, runtime.cipher, conv, body.body, actor.ref, article_id=body.article_id)
    handed = livechat.handover(session, conv, msg, body.body.strip())
    session.commit()
    if handed is not None:   # the visitor's stream sends it without reading the database
        FANOUT.notify(conv.id, *handed)
    return MessagePublic.model_validate({**{c: getattr(msg, c) for c in MessagePublic.model_fields if c != "body"},
                                         "body": body.body})


@api.post("/conversations/{conversation_id}/notes", status_code=201)
def add_note(conversation_id: IdPath, body: NoteCreate, actor: Agent, session: SessionDep, runtime: RuntimeDep):
    """An internal note; the agents in `mentions` find it under mentions_me."""
    msg = threads.note(session, runtime.cipher, threads.get(session, conversation_id), body.body, actor.ref,
                       mentions=body.mentions)
    session.commit()
    return {"id": msg.id, "mentions": msg.mentions}


@api.post("/conversations/{conversation_id}/transfers", response_model=ConversationSummary)
def transfer(conversation_id: IdPath, body: TransferCreate, actor: Agent, session: SessionDep, runtime: RuntimeDep,
             cfg: SettingsDep):
    conv = threads.transfer(session, runtime.cipher, threads.get(session, conversation_id), body.agent_id,
                            actor.ref, reason=body.reason)
    session.commit()
    return _summary(conv, cfg)


@api.post("/conversations/{conversation_id}/ticket", status_code=201)
def to_ticket(conversation_id: IdPath, body: TicketFromConversation, actor: Agent, session: SessionDep,
              runtime: RuntimeDep, svc: ServiceSettingsDep, response: Response) -> dict:
    """Turn the conversation into a service-desk ticket with the transcript attached (once)."""
    ticket, created = handoff.open_ticket(session, runtime.cipher, svc, threads.get(session, conversation_id),
                                          actor.ref, subject=body.subject)
    session.commit()
    response.status_code = 201 if created else 200
    return {"ticket_id": ticket.id, "created": created}


@api.post("/conversations/{conversation_id}/calls", status_code=201)
def log_call(conversation_id: IdPath, body: CallCreate, actor: Agent, session: SessionDep, runtime: RuntimeDep):
    """A call about this conversation, logged by staff: duration and notes."""
    conv = threads.get(session, conversation_id)
    got = threads.log_call(session, runtime.cipher, conv, direction=body.direction, seconds=body.duration_seconds,
                           notes=body.notes, author=actor.ref)
    session.commit()
    return {"message_id": got.message.id, "conversation_id": conv.id}


@api.post("/customers/{customer_id}/calls", status_code=201)
def log_customer_call(customer_id: IdPath, body: CallCreate, actor: Agent, session: SessionDep, runtime: RuntimeDep):
    """A call with a customer, into their phone thread."""
    conv = threads.thread_for(session, runtime.cipher, "phone", customer_id=customer_id, address=body.phone)
    got = threads.log_call(session, runtime.cipher, conv, direction=body.direction, seconds=body.duration_seconds,
                           notes=body.notes, author=actor.ref)
    session.commit()
    return {"message_id": got.message.id, "conversation_id": conv.id}


@api.get("/conversations/{conversation_id}/customer")
def customer_summary(conversation_id: IdPath, actor: Agent, session: SessionDep, runtime: RuntimeDep) -> dict:
    """Beside the reply box: tier, points, open tickets, last orders and shipments (personal data masked)."""
    conv = threads.get(session, conversation_id)
    if conv.customer_id is None:
        return {"anonymous": True, "visitor_id": conv.visitor_id}
    return sidebar.summary(session, runtime.cipher, conv.customer_id)


@api.get("/conversations/{conversation_id}/suggestions")
def suggestions(conversation_id: IdPath, actor: Agent, session: SessionDep, runtime: RuntimeDep) -> dict:
    """For the customer's latest message: nearest knowledge-base articles and past answers that settled it."""
    return suggest.suggestions(session, runtime.cipher, threads.get(session, conversation_id))


@api.get("/conversation-agents", response_model=list[AgentPublic])
def list_agents(actor: Agent, session: SessionDep):
    return agents.all_agents(session)


@api.post("/conversation-agents", response_model=AgentPublic, status_code=201)
def create_agent(body: AgentCreate, actor: Agent, session: SessionDep):
    agent = agents.create(session, **body.model_dump())
    session.commit()
    return agent


@api.patch("/conversation-agents/{agent_id}", response_model=AgentPublic)
def set_agent_status(agent_id: IdPath, body: AgentStatusUpdate, actor: Agent, session: SessionDep):
    """Online takes new chats; away keeps the open ones and takes none."""
    agent = agents.set_status(session, agent_id, body.status)
    session.commit()
    return agent


@api.put("/customers/{customer_id}/dedicated-agent", status_code=204)
def set_dedicated_agent(customer_id: IdPath, body: DedicatedAgentSet, actor: Agent, session: SessionDep) -> Response:
    agents.dedicate(session, customer_id, body.agent_id)
    session.commit()
    return Response(status_code=204)


# Fixed paths first: /conversations/webhooks/calls must not be read as /conversations/{id}/calls.
router.include_router(webhooks_router)
router.include_router(chat_router)
router.include_router(attachments_router)
router.include_router(kb_router)
router.include_router(api)
