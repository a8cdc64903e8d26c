"""Files in conversations over HTTP: the visitor's side (widget, token) and the staff side (inbox permission).

Uploads are multipart (`file`); the checks are `attachments.check`: 413 too large, 415 not an allowed
type (by content), 422 empty or unnamed. A download answers only the visitor whose thread holds the
file, or staff with `tickets.work`; anyone else gets 404, as if the file did not exist.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile

from starlette.concurrency import run_in_threadpool

from guanxi.conversations import attachments, livechat, threads
from guanxi.conversations.chat_api import CORS, _client, _limit
from guanxi.conversations.fanout import FANOUT
from guanxi.conversations.settings import ConversationSettings, get_conversation_settings
from guanxi.db import transaction
from guanxi.deps import RuntimeDep, allowed
from guanxi.errors import NotFound
from guanxi.schemas import IdPath
from guanxi.staff.roles import Perm

router = APIRouter(prefix="/api/v1", tags=["conversation files"])
Agent = allowed(Perm.tickets_work)
SettingsDep = Annotated[ConversationSettings, Depends(get_conversation_settings)]
VisitorHeader = Annotated[str | None, Header(max_length=100)]


async def read_upload(file: UploadFile, cfg: ConversationSettings) -> tuple[str, bytes]:
    # One byte past the limit is enough to know it is too large, without holding a huge upload.
    data = await file.read(cfg.attachment_max_bytes + 1)
    return (file.filename or "").strip()[:255], data


def file_response(runtime, att, data: bytes) -> Response:
    name = attachments.name_of(runtime.cipher, att)
    inline = att.content_type.startswith("image/")
    return Response(data, media_type=att.content_type, headers={
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.post("/chat/attachments", status_code=201)
async def visitor_upload(request: Request, response: Response, runtime: RuntimeDep, cfg: SettingsDep,
                         file: Annotated[UploadFile, File(description="an image or PDF")],
                         client_id: Annotated[str | None, Form(max_length=64)] = None,
                         x_chat_visitor: VisitorHeader = None) -> dict:
    """The visitor sends a file into their chat."""
    _limit(request, "address", cfg.chat_address_per_minute, _client(request))
    name, data = await read_upload(file, cfg)
    store = attachments.store_at(runtime.settings.data_dir)

    def save() -> dict:
        with transaction(runtime.factory) as session:
            visitor = livechat.visitor_for(session, runtime.secrets.session_secret, x_chat_visitor)
            _limit(request, "visitor", cfg.chat_visitor_per_minute, str(visitor.id))
            got = livechat.send_file(session, runtime.cipher, store, cfg, visitor, name, data, client_id=client_id)
            files = attachments.of_messages(session, [got.message.id]).get(got.message.id, [])
            return {"id": got.message.id, "duplicate": got.duplicate,
                    "attachments": [attachments.public(runtime.cipher, a) for a in files]}

    out = await run_in_threadpool(save)
    response.headers.update(CORS)
    return out


@router.get("/chat/attachments/{attachment_id}")
def visitor_download(attachment_id: IdPath, runtime: RuntimeDep, x_chat_visitor: VisitorHeader = None,
                     visitor: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """A file of the visitor's own chat (`?visitor=` for an <img> tag, which cannot send headers)."""
    with runtime.factory() as session:
        who = livechat.visitor_for(session, runtime.secrets.session_secret, x_chat_visitor or visitor)
        conv = livechat.current_thread(session, who)
        if conv is None:
            raise NotFound(f"no file {attachment_id} in this conversation")
        att = attachments.get_in(session, conv, attachment_id)
        data = attachments.store_at(runtime.settings.data_dir).read(runtime.cipher, att.storage_key)
        reply = file_response(runtime, att, data)
    reply.headers.update(CORS)
    return reply


@router.post("/conversations/{conversation_id}/attachments", status_code=201)
async def staff_upload(conversation_id: IdPath, actor: Agent, runtime: RuntimeDep, cfg: SettingsDep,
                       file: Annotated[UploadFile, File(description="an image or PDF")],
                       text: Annotated[str, Form(max_length=5000)] = "") -> dict:
    """An agent sends a file to the visitor of a live chat."""
    name, data = await read_upload(file, cfg)
    store = attachments.store_at(runtime.settings.data_dir)

    def save() -> dict:
        with transaction(runtime.factory) as session:
            conv = threads.get(session, conversation_id)
            msg, att = attachments.reply_with_file(session, runtime.cipher, store, cfg, conv, actor.ref, name, data,
                                                   text=text)
            return {"id": msg.id, "attachments": [attachments.public(runtime.cipher, att)]}

    out = await run_in_threadpool(save)
    FANOUT.notify(conversation_id)
    return out


@router.get("/conversations/{conversation_id}/attachments/{attachment_id}")
def staff_download(conversation_id: IdPath, attachment_id: IdPath, actor: Agent, runtime: RuntimeDep) -> Response:
    with runtime.factory() as session:
        att = attachments.get_in(session, threads.get(session, conversation_id), attachment_id)
        data = attachments.store_at(runtime.settings.data_dir).read(runtime.cipher, att.storage_key)
        return file_response(runtime, att, data)
