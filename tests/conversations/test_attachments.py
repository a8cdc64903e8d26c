"""Files in chats: type by content, size limit, who may read them, and what lies on disk."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from guanxi.conversations import attachments, livechat, threads
from guanxi.conversations.models import ConversationAttachment
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from guanxi.errors import Invalid

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def chat(app, conv_cfg):
    cfg = conv_cfg.model_copy(update={"attachment_max_bytes": 1024})
    app.dependency_overrides[get_conversation_settings] = lambda: cfg
    yield cfg
    app.dependency_overrides.pop(get_conversation_settings, None)


def _visitor(client) -> dict:
    return {"X-Chat-Visitor": client.post("/api/v1/chat/visitors").json()["visitor"]}


def _upload(client, headers, name, data, ctype="application/octet-stream", **form):
    return client.post("/api/v1/chat/attachments", headers=headers, files={"file": (name, data, ctype)}, data=form)


def test_sniffing_goes_by_the_bytes_not_the_name(conv_cfg):
    assert attachments.check(conv_cfg, "a.png", PNG) == "image/png"
    assert attachments.check(conv_cfg, "scan", PDF) == "application/pdf"
    assert attachments.sniff(b"GIF89a....") == "image/gif" and attachments.sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    with pytest.raises(attachments.UnsupportedType):
        attachments.check(conv_cfg, "photo.png", b"MZ\x90\x00 an exe")        # named like an image, is not one
    with pytest.raises(attachments.UnsupportedType, match="named .pdf"):
        attachments.check(conv_cfg, "invoice.pdf", PNG)                       # an image posing as a PDF
    with pytest.raises(attachments.UnsupportedType):
        attachments.check(conv_cfg.model_copy(update={"attachment_types": ["application/pdf"]}), "a.png", PNG)
    with pytest.raises(Invalid):
        attachments.check(conv_cfg, "empty.png", b"")


def test_limits_answer_413_415_422_with_clear_messages(client, chat):
    v = _visitor(client)
    r = _upload(client, v, "big.png", PNG + b"\0" * 2000, "image/png")
    assert r.status_code == 413 and "at most 1,024 bytes" in r.json()["detail"]
    r = _upload(client, v, "tool.png", b"MZ\x90\x00" * 10, "image/png")
    assert r.status_code == 415 and "image/jpeg" in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    r = _upload(client, v, "empty.pdf", b"", "application/pdf")
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    # nothing was recorded for the refused files
    assert client.get("/api/v1/chat/messages", headers=v).json()["messages"] == []


def test_visitor_and_staff_read_it_nobody_else(client, chat, auth, runtime, settings):
    v = _visitor(client)
    r = _upload(client, v, "破损照片.png", PNG, "image/png", client_id="f1")
    assert r.status_code == 201, r.text
    [att] = r.json()["attachments"]
    assert _upload(client, v, "破损照片.png", PNG, "image/png", client_id="f1").json()["duplicate"] is True
    [msg] = client.get("/api/v1/chat/messages", headers=v).json()["messages"]
    assert msg["attachments"] == [att] and att["filename"] == "破损照片.png" and att["content_type"] == "image/png"

    mine = client.get(f"/api/v1/chat/attachments/{att['id']}", params={"visitor": v["X-Chat-Visitor"]})
    assert mine.status_code == 200 and mine.content == PNG and mine.headers["content-type"] == "image/png"
    assert mine.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/api/v1/chat/attachments/{att['id']}", headers=_visitor(client)).status_code == 404
    assert client.get(f"/api/v1/chat/attachments/{att['id']}").status_code == 401

    with runtime.factory() as s:
        row = s.get(ConversationAttachment, att["id"])
        conv_id, key = row.conversation_id, row.storage_key
    staff = client.get(f"/api/v1/conversations/{conv_id}/attachments/{att['id']}", headers=auth("service"))
    assert staff.status_code == 200 and staff.content == PNG
    assert client.get(f"/api/v1/conversations/{conv_id}/attachments/{att['id']}",
                      headers=auth("analyst")).status_code == 403
    assert client.get(f"/api/v1/conversations/{conv_id}/attachments/{att['id']}").status_code == 401

    # On disk: sealed text, neither the bytes nor their base64, and not the file's name.
    on_disk = (settings.data_dir / "attachments" / key).read_bytes()
    assert PNG[:16] not in on_disk and base64.b64encode(PNG)[:40] not in on_disk
    assert "破损照片".encode() not in on_disk
    with runtime.factory() as s:
        assert "破损" not in s.get(ConversationAttachment, att["id"]).filename_enc


def test_agent_sends_a_pdf_the_visitor_receives_it(client, chat, auth, runtime):
    v = _visitor(client)
    client.post("/api/v1/chat/messages", headers=v, json={"text": "发票能发我吗"})
    [conv_id] = [c["id"] for c in client.get("/api/v1/conversations", headers=auth("service")).json()["items"]]
    r = client.post(f"/api/v1/conversations/{conv_id}/attachments", headers=auth("service"),
                    files={"file": ("fapiao.pdf", PDF, "application/pdf")}, data={"text": "这是您的发票"})
    assert r.status_code == 201, r.text
    last = client.get("/api/v1/chat/messages", headers=v).json()["messages"][-1]
    assert last["from"] == "shop" and last["text"] == "这是您的发票" and last["attachments"][0]["filename"] == "fapiao.pdf"
    got = client.get(f"/api/v1/chat/attachments/{last['attachments'][0]['id']}", headers=v)
    assert got.content == PDF and got.headers["content-disposition"].startswith("attachment;")


def test_files_go_out_on_live_chat_only(client, chat, auth, runtime, make_customer):
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        conv = threads.thread_for(s, runtime.cipher, "wechat", customer_id=cid, address="oX")
        threads.receive(s, runtime.cipher, chat, conv, "hi")
        conv_id = conv.id
    r = client.post(f"/api/v1/conversations/{conv_id}/attachments", headers=auth("service"),
                    files={"file": ("a.png", PNG, "image/png")})
    assert r.status_code == 422 and "live chat only" in r.json()["detail"]
    with runtime.factory() as s:
        assert not list(s.scalars(select(ConversationAttachment)))


def test_a_rolled_back_upload_leaves_no_file(runtime, settings, conv_cfg):
    store = attachments.store_at(settings.data_dir)
    with pytest.raises(RuntimeError):
        with transaction(runtime.factory) as s:
            visitor, _ = livechat.start(s, "secret")
            livechat.send_file(s, runtime.cipher, store, conv_cfg, visitor, "a.png", PNG)
            assert len(list(store.path("x").parent.iterdir())) == 1
            raise RuntimeError("the request failed after the file was written")
    assert not list(store.path("x").parent.iterdir())
    with transaction(runtime.factory) as s:   # a committed one stays
        visitor, _ = livechat.start(s, "secret")
        livechat.send_file(s, runtime.cipher, store, conv_cfg, visitor, "b.png", PNG)
    assert len(list(store.path("x").parent.iterdir())) == 1


def test_erasure_removes_files_and_export_lists_them(runtime, settings, conv_cfg, make_customer):
    from guanxi.conversations import email_threads
    from guanxi.customers import hooks
    from guanxi.privacy import requests as privacy_requests
    from guanxi.service.tickets import AttachmentIn

    cid, email, _ = make_customer()
    with transaction(runtime.factory) as s:
        email_threads.receive_mail(s, runtime.cipher, email_threads.MailIn(
            customer_id=cid, address=email, message_id="<e1@example.com>", subject="破损", body="see photo",
            attachments=[AttachmentIn("photo.png", "image/png", PNG)]), conv_cfg, data_dir=settings.data_dir)
    folder = settings.data_dir / "attachments"
    assert len(list(folder.iterdir())) == 1
    with runtime.factory() as s:
        s.info[privacy_requests._CIPHER] = runtime.cipher   # as a privacy request sets it
        [thread] = hooks.exporters["conversations"](s, cid)
        assert thread["messages"][0]["files"][0]["filename"] == "photo.png"
    with transaction(runtime.factory) as s:
        hooks.erasers["conversations"](s, cid)
    assert not list(folder.iterdir())
    with runtime.factory() as s:
        assert not list(s.scalars(select(ConversationAttachment)))


def test_files_follow_the_visitor_into_the_customers_thread(client, chat, auth, runtime, make_customer):
    cid, _, _ = make_customer()
    with transaction(runtime.factory) as s:
        mine = threads.thread_for(s, runtime.cipher, "livechat", customer_id=cid)
        threads.receive(s, runtime.cipher, chat, mine, "上次的问题")
        mine_id = mine.id
    v = _visitor(client)
    att_id = _upload(client, v, "receipt.png", PNG, "image/png").json()["attachments"][0]["id"]
    r = client.post("/api/v1/chat/visitors/identify", headers=auth("admin"),
                    json={"visitor": v["X-Chat-Visitor"], "customer_id": cid})
    assert r.json()["conversation_id"] == mine_id
    got = client.get(f"/api/v1/conversations/{mine_id}/attachments/{att_id}", headers=auth("service"))
    assert got.status_code == 200 and got.content == PNG
    assert client.get(f"/api/v1/chat/attachments/{att_id}", headers=v).content == PNG
