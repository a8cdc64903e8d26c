"""E-mail in the inbox through real SMTP on loopback: the desk's inbound route in, an aiosmtpd sink out."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from guanxi.conversations import adapters, outbound, threads
from guanxi.conversations.models import Conversation, ConversationAttachment
from guanxi.conversations.settings import get_conversation_settings
from guanxi.db import transaction
from guanxi.service import inbound_mail
from guanxi.service.models import Ticket
from guanxi.service.settings import ServiceSettings
from tests.web.mailbox import free_port

CUSTOMER = "zhao.min@example.com"


@pytest.fixture
def always_open(monkeypatch):
    """The inbox open around the clock (read by the mail route from the environment): no away message."""
    monkeypatch.setenv("GUANXI_CONVERSATIONS_OPENS", "00:00")
    monkeypatch.setenv("GUANXI_CONVERSATIONS_CLOSES", "23:59:59")
    get_conversation_settings.cache_clear()
    yield
    get_conversation_settings.cache_clear()


def _route(runtime, mode: str):
    cfg = ServiceSettings(_env_file=None, inbound_mail_to=mode)
    return inbound_mail.start_server(runtime, cfg, host="127.0.0.1", port=free_port())


@pytest.fixture
def inbox_route(runtime, always_open):
    controller = _route(runtime, "inbox")
    yield controller
    controller.stop()


@pytest.fixture
def sink(mailbox):
    """Where the inbox's replies go out (the suite's loopback SMTP server)."""
    return mailbox


def _mail(route, subject: str, body: str, *, sender=CUSTOMER, in_reply_to=None, references=None, attach=None) -> str:
    msg = EmailMessage()
    msg["From"] = f"赵敏 <{sender}>"
    msg["To"] = "hello@shop.example"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    msg.set_content(body)
    if attach:
        name, ctype, data = attach
        msg.add_attachment(data, maintype=ctype.split("/")[0], subtype=ctype.split("/")[1], filename=name)
    with smtplib.SMTP(route.hostname, route.port, timeout=10) as smtp:
        smtp.send_message(msg)
    return msg["Message-ID"]


def _email_threads(runtime) -> list[Conversation]:
    with runtime.factory() as s:
        return list(s.scalars(select(Conversation).where(Conversation.channel == "email").order_by(Conversation.id)))


def _bodies(runtime, conv_id: int) -> list[tuple[str, str]]:
    with runtime.factory() as s:
        return [(m.direction, threads.body_of(runtime.cipher, m)) for m in threads.messages_of(s, conv_id)
                if m.direction != "internal"]


def test_mail_in_reply_out_answer_back_in_the_same_thread(runtime, inbox_route, sink):
    first = _mail(inbox_route, "尺码问题", "这件外套有 XL 吗？\n\n> quoted")
    [conv] = _email_threads(runtime)
    assert conv.customer_id is not None and _bodies(runtime, conv.id) == [("in", "这件外套有 XL 吗？")]
    with runtime.factory() as s:
        assert not list(s.scalars(select(Ticket)))   # the desk opened no ticket

    with transaction(runtime.factory) as s:
        threads.reply(s, runtime.cipher, s.get(Conversation, conv.id), "有的，XL 今天有货。", "Ann")
    routes = {"email": adapters.EmailReply(runtime.settings)}
    assert outbound.deliver_pending(runtime.factory, runtime.cipher, routes)["sent"] == 1
    assert outbound.deliver_pending(runtime.factory, runtime.cipher, routes)["sent"] == 0   # never twice
    [out] = sink.to(CUSTOMER)
    assert out["Subject"] == "Re: 尺码问题" and out["In-Reply-To"] == first and first in out["References"]
    assert "XL 今天有货" in out.get_body(("plain",)).get_content()

    # The customer answers our mail: same thread, and our next reply names both earlier mails.
    second = _mail(inbox_route, "Re: 尺码问题", "好的，我下单了", in_reply_to=out["Message-ID"],
                   references=f"{first} {out['Message-ID']}")
    assert [c.id for c in _email_threads(runtime)] == [conv.id]
    assert _bodies(runtime, conv.id)[-1] == ("in", "好的，我下单了")
    with transaction(runtime.factory) as s:
        c = s.get(Conversation, conv.id)
        assert c.status == "open"
        threads.reply(s, runtime.cipher, c, "谢谢！", "Ann")
    outbound.deliver_pending(runtime.factory, runtime.cipher, routes)
    latest = sink.to(CUSTOMER)[-1]
    assert latest["In-Reply-To"] == second
    assert latest["References"].split() == [first, out["Message-ID"], second]


def test_same_mail_twice_is_one_message(runtime, inbox_route):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = CUSTOMER, "hello@shop.example", "hi"
    msg["Message-ID"] = "<twice-1@example.com>"
    msg.set_content("is this in stock?")
    for _ in range(2):
        with smtplib.SMTP(inbox_route.hostname, inbox_route.port, timeout=10) as smtp:
            smtp.send_message(msg)
    [conv] = _email_threads(runtime)
    assert _bodies(runtime, conv.id) == [("in", "is this in stock?")]


def test_mail_continuing_a_ticket_still_goes_to_the_ticket(runtime, always_open):
    tickets_route = _route(runtime, "tickets")
    try:
        _mail(tickets_route, "订单还没到", "物流太慢了")
    finally:
        tickets_route.stop()
    with runtime.factory() as s:
        [t] = s.scalars(select(Ticket))
    assert not _email_threads(runtime)   # the old behaviour: every new mail opens a ticket

    route = _route(runtime, "inbox")
    try:
        _mail(route, f"Re: [#T-{t.mail_token}] 订单还没到", "还没到")
        _mail(route, "另一个问题", "发票怎么开？")
    finally:
        route.stop()
    from guanxi.service import tickets

    with runtime.factory() as s:
        assert [m.body for m in tickets.messages(s, t.id)] == ["物流太慢了", "还没到"]
    [conv] = _email_threads(runtime)
    assert _bodies(runtime, conv.id) == [("in", "发票怎么开？")]


def test_quoted_message_id_does_not_let_a_stranger_into_a_thread(runtime, inbox_route, sink):
    _mail(inbox_route, "hello", "first")
    [conv] = _email_threads(runtime)
    with transaction(runtime.factory) as s:
        threads.reply(s, runtime.cipher, s.get(Conversation, conv.id), "hi there", "Ann")
    outbound.deliver_pending(runtime.factory, runtime.cipher, {"email": adapters.EmailReply(runtime.settings)})
    [out] = sink.to(CUSTOMER)
    _mail(inbox_route, "Re: hello", "let me in", sender="mallory@example.com", in_reply_to=out["Message-ID"])
    convs = _email_threads(runtime)
    assert len(convs) == 2 and convs[1].customer_id != conv.customer_id


def test_mail_attachments_kept_when_allowed(runtime, inbox_route):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    _mail(inbox_route, "破损", "收到时已经坏了", attach=("photo.png", "image/png", png))
    _mail(inbox_route, "readme", "see text", attach=("notes.txt", "text/plain", b"plain words"))
    [conv] = _email_threads(runtime)
    with runtime.factory() as s:
        [att] = s.scalars(select(ConversationAttachment).where(ConversationAttachment.conversation_id == conv.id))
        assert (att.content_type, att.size) == ("image/png", len(png))
        notes = [threads.body_of(runtime.cipher, m) for m in threads.messages_of(s, conv.id) if m.direction == "internal"]
    assert any("notes.txt" in n for n in notes)
