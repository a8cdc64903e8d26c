"""The member page: sign-in by a one-time code through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update

from guanxi.customers import consents
from guanxi.privacy.models import AuditEntry
from guanxi.web import member_codes
from guanxi.web.models import MemberCode, PrivacyRequest

from .forms import csrf_of

EMAIL = "wang.fang@example.com"


def ask_code(client, email=EMAIL):
    token = csrf_of(client.get("/m/signin").text)
    return client.post("/m/signin", data={"email": email, "csrf_token": token})


def enter_code(client, code, email=EMAIL):
    token = csrf_of(client.get("/m/signin").text)
    return client.post("/m/verify", data={"email": email, "code": code, "csrf_token": token}, follow_redirects=False)


def test_sign_in_by_code(client, mailbox, seed_customer):
    seed_customer(email=EMAIL, name="王芳", locale="en")
    assert client.get("/m/", follow_redirects=False).headers["location"] == "/m/signin?next=/m/"
    reply = ask_code(client)
    assert reply.status_code == 200 and "a 6-digit code is on its way" in reply.text
    [mail] = mailbox.to(EMAIL)
    assert mail["Subject"].startswith("Your sign-in code: ")
    code = mailbox.code_for(EMAIL)
    reply = enter_code(client, code)
    assert reply.status_code == 303 and reply.headers["location"] == "/m/"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("guanxi_member=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/m/").text
    assert "Hello, 王芳" in home and EMAIL in home
    assert "My points" in home and "My tickets" in home  # sections the loyalty and service domains add


def test_the_mail_is_in_the_pages_language(client, mailbox, seed_customer):
    seed_customer(email=EMAIL)
    client.headers["Accept-Language"] = "zh-CN"
    assert "6 位验证码已发出" in ask_code(client).text
    [mail] = mailbox.to(EMAIL)
    assert mail["Subject"].startswith("您的登录验证码") and "仅可使用一次" in mail.get_body(("plain",)).get_content()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mailbox):
    reply = ask_code(client, "stranger@example.com")
    assert reply.status_code == 200 and "a 6-digit code is on its way" in reply.text
    assert mailbox.messages == []
    assert enter_code(client, "123456", "stranger@example.com").status_code == 401


def test_codes_are_stored_hashed_and_work_once(client, mailbox, seed_customer, runtime):
    seed_customer(email=EMAIL)
    ask_code(client)
    code = mailbox.code_for(EMAIL)
    with runtime.factory() as session:
        stored = session.scalar(select(MemberCode.code_hash))
    assert code not in stored and len(stored) == 64
    assert enter_code(client, code).status_code == 303
    client.cookies.clear()
    reply = enter_code(client, code)
    assert reply.status_code == 401 and "wrong, used or expired" in reply.text


def test_codes_expire(client, mailbox, seed_customer, runtime):
    seed_customer(email=EMAIL)
    ask_code(client)
    code = mailbox.code_for(EMAIL)
    with runtime.factory() as session:
        session.execute(update(MemberCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        session.commit()
    assert enter_code(client, code).status_code == 401


def test_wrong_guesses_burn_the_code(client, mailbox, seed_customer):
    seed_customer(email=EMAIL)
    ask_code(client)
    code = mailbox.code_for(EMAIL)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(member_codes.MAX_ATTEMPTS):
        assert enter_code(client, wrong).status_code == 401
    assert enter_code(client, code).status_code == 401


def test_rate_limit_per_address(client, mailbox, seed_customer):
    seed_customer(email=EMAIL)
    limit = member_codes.PER_IDENTITY[0]
    assert all(ask_code(client).status_code == 200 for _ in range(limit))
    reply = ask_code(client)
    assert reply.status_code == 429 and "Too many codes" in reply.text
    assert len(mailbox.to(EMAIL)) == limit


def test_rate_limit_per_network_address(client, mailbox):
    limit = member_codes.PER_CLIENT[0]
    for n in range(limit):
        assert ask_code(client, f"someone{n}@example.com").status_code == 200
    assert ask_code(client, "one.more@example.com").status_code == 429


def test_the_limits_are_counted_in_a_window(runtime, seed_customer):
    seed_customer(email=EMAIL)
    secret = runtime.secrets.session_secret
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with runtime.factory() as session:
        for n in range(member_codes.PER_IDENTITY[0]):
            member_codes.request_code(session, runtime.cipher, secret, EMAIL, "10.0.0.1",
                                      now=start + dt.timedelta(minutes=n))
        later = start + member_codes.PER_IDENTITY[1] + dt.timedelta(minutes=1)
        assert member_codes.request_code(session, runtime.cipher, secret, EMAIL, "10.0.0.1", now=later).code


def _signed_in_member(client, mailbox, seed_customer):
    customer_id = seed_customer(email=EMAIL, name="王芳", locale="en")
    ask_code(client)
    enter_code(client, mailbox.code_for(EMAIL))
    return customer_id


def test_member_changes_consents(client, mailbox, seed_customer, runtime):
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    home = client.get("/m/").text
    assert '<legend>Offers and news</legend>' in home and 'for="c-email-marketing"' in home
    reply = client.post("/m/preferences", data={"consent": ["email:marketing", "any:personalisation"],
                                                "csrf_token": csrf_of(home)}, follow_redirects=False)
    assert reply.status_code == 303
    with runtime.factory() as session:
        state = consents.current(session, customer_id)
    assert state[("email", "marketing")].granted and state[("any", "personalisation")].granted
    assert state[("email", "marketing")].source == "member_page"
    assert state[("email", "marketing")].notice_version == "2026-01"
    assert ("sms", "marketing") not in state  # never granted, nothing recorded
    assert 'id="c-email-marketing" name="consent" value="email:marketing" checked' in client.get("/m/").text
    reply = client.post("/m/preferences", data={"consent": ["any:personalisation"], "csrf_token": csrf_of(home)},
                        headers={"HX-Request": "true"})
    assert "Your choices are saved." in reply.text and "<html" not in reply.text
    with runtime.factory() as session:
        assert not consents.current(session, customer_id)[("email", "marketing")].granted


def test_download_my_data(client, mailbox, seed_customer, runtime):
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    reply = client.post("/m/privacy/export", data={"csrf_token": csrf_of(client.get("/m/").text)})
    assert reply.status_code == 200 and "attachment" in reply.headers["content-disposition"]
    document = json.loads(reply.text)
    assert document["customer_id"] == customer_id
    assert EMAIL in json.dumps(document, ensure_ascii=False) and "王芳" in reply.text
    with runtime.factory() as session:
        row = session.scalar(select(AuditEntry).where(AuditEntry.kind == "pii_exported"))
    assert row.actor == f"member:{customer_id}" and row.actor_role == "member"


def test_ask_for_erasure(client, mailbox, seed_customer, runtime):
    customer_id = _signed_in_member(client, mailbox, seed_customer)
    for _ in range(2):
        token = csrf_of(client.get("/m/").text)
        assert client.post("/m/privacy/erasure", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    with runtime.factory() as session:
        [request] = session.scalars(select(PrivacyRequest)).all()
        audit_row = session.scalar(select(AuditEntry).where(AuditEntry.kind == "erasure_requested"))
    assert request.customer_id == customer_id and request.kind == "erasure" and request.status == "open"
    assert audit_row.subject_id == str(customer_id)
    assert "You asked us to erase your data" in client.get("/m/").text


def test_member_sign_out(client, mailbox, seed_customer):
    _signed_in_member(client, mailbox, seed_customer)
    old = client.cookies.get("guanxi_member")
    token = csrf_of(client.get("/m/").text)
    assert client.post("/m/signout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.cookies.set("guanxi_member", old)
    assert client.get("/m/", follow_redirects=False).status_code == 303


def test_member_forms_need_the_csrf_token(client, mailbox, seed_customer):
    _signed_in_member(client, mailbox, seed_customer)
    assert client.post("/m/preferences", data={"consent": ["email:marketing"]}).status_code == 403
    assert client.post("/m/signin", data={"email": EMAIL}).status_code == 403


def test_no_smtp_outside_development_is_a_clear_error(client, seed_customer, runtime, monkeypatch):
    seed_customer(email=EMAIL)
    monkeypatch.setattr(runtime.settings, "smtp_host", None)
    reply = ask_code(client)
    assert reply.status_code == 503 and "could not be sent" in reply.text
