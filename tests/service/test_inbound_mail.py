"""Inbound e-mail through a real SMTP server on loopback: new tickets, replies, reopen, attachments.

These run the route with GUANXI_SERVICE_INBOUND_MAIL_TO=tickets (every new mail opens a ticket);
the default hand-over to the inbox is tested in tests/conversations/test_email.py."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from guanxi.db import transaction
from guanxi.service import inbound_mail, tickets
from guanxi.service.models import Ticket


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_route(runtime, cfg, desk):
    cfg.inbound_mail_to = "tickets"
    controller = inbound_mail.start_server(runtime, cfg, host="127.0.0.1", port=_free_port())
    yield controller
    controller.stop()


def _send(route, subject, body, *, sender="wang.fang@example.com", reply_to=None, attach=None) -> str:
    msg = EmailMessage()
    msg["From"] = f"王芳 <{sender}>"
    msg["To"] = "service@shop.example"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    if reply_to:
        msg["In-Reply-To"] = reply_to
    msg.set_content(body)
    if attach:
        name, ctype, data = attach
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    with smtplib.SMTP(route.hostname, route.port, timeout=10) as smtp:
        smtp.send_message(msg)
    return msg["Message-ID"]


def _tickets(runtime):
    with runtime.factory() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def test_mail_opens_and_continues_a_ticket(runtime, smtp_route, cfg):
    first = _send(smtp_route, "订单还没到", "我的订单一周了还没到，物流太慢了\n\n> quoted old text",
                  attach=("receipt.png", "image/png", b"\x89PNG-data"))
    [t] = _tickets(runtime)
    assert (t.source, t.channel, t.category, t.subcategory) == ("email", "email", "logistics", "late")
    assert t.customer_id is not None
    with runtime.factory() as s:
        [m] = tickets.messages(s, t.id)
        assert "quoted" not in m.body and m.external_id == first
        assert [a.filename for a in tickets.attachments_of(s, [m.id])[m.id]] == ["receipt.png"]

    # a reply by the In-Reply-To header
    _send(smtp_route, "Re: 订单还没到", "还没有消息吗？", reply_to=first)
    # a reply by the token our own replies carry in the subject
    _send(smtp_route, f"Re: [#T-{t.mail_token}] 订单还没到", "第三封")
    assert len(_tickets(runtime)) == 1
    with runtime.factory() as s:
        assert [m.body for m in tickets.messages(s, t.id)][1:] == ["还没有消息吗？", "第三封"]


def test_same_message_twice_is_one_ticket(runtime, smtp_route):
    raw = EmailMessage()
    raw["From"] = "a@example.com"
    raw["To"] = "service@shop.example"
    raw["Subject"] = "login"
    raw["Message-ID"] = "<fixed-1@example.com>"
    raw.set_content("I cannot log in")
    for _ in range(2):
        with smtplib.SMTP(smtp_route.hostname, smtp_route.port, timeout=10) as smtp:
            smtp.send_message(raw)
    assert len(_tickets(runtime)) == 1


def test_reply_to_a_long_closed_ticket_opens_a_new_one(runtime, smtp_route, cfg):
    first = _send(smtp_route, "付款问题", "重复扣款了")
    [t] = _tickets(runtime)
    with transaction(runtime.factory) as s:
        t = s.get(Ticket, t.id)
        tickets.move(s, cfg, t, "resolved", "Ann")
        tickets.move(s, cfg, t, "closed", "Ann", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=cfg.reopen_days + 1))
    _send(smtp_route, "Re: 付款问题", "又扣了一次", reply_to=first)
    assert len(_tickets(runtime)) == 2


def test_reply_to_a_recently_closed_ticket_reopens_it(runtime, smtp_route, cfg):
    first = _send(smtp_route, "付款问题", "重复扣款了")
    [t] = _tickets(runtime)
    with transaction(runtime.factory) as s:
        t = s.get(Ticket, t.id)
        tickets.move(s, cfg, t, "resolved", "Ann")
        tickets.move(s, cfg, t, "closed", "Ann")
    _send(smtp_route, "Re: 付款问题", "还是不对", reply_to=first)
    [t] = _tickets(runtime)
    assert t.status == "open" and t.reopened == 1


def test_someone_else_cannot_write_into_a_ticket(runtime, smtp_route):
    _send(smtp_route, "账号", "登录不了")
    [t] = _tickets(runtime)
    _send(smtp_route, f"[#T-{t.mail_token}] hi", "let me in", sender="mallory@example.com")
    assert len(_tickets(runtime)) == 2


def test_refused_attachment_is_noted_not_stored(runtime, smtp_route):
    _send(smtp_route, "App闪退", "App一打开就闪退", attach=("tool.exe", "application/octet-stream", b"MZ"))
    [t] = _tickets(runtime)
    with runtime.factory() as s:
        [m] = tickets.messages(s, t.id)
        assert "tool.exe" in m.body and not tickets.attachments_of(s, [m.id])
