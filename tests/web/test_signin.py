"""Staff sign-in through the form: session cookie, lockout message, sign-out, password change."""

from __future__ import annotations

from .forms import PASSWORD, csrf_of, post_form, sign_in


def test_sign_in_sets_a_strict_session_cookie_and_lands_on_the_first_page(client, make_staff):
    reply = sign_in(client, make_staff("admin"))
    assert reply.status_code == 303 and reply.headers["location"] == "/dashboard"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("guanxi_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/dashboard").status_code == 200


def test_the_cookie_is_secure_in_production(client, make_staff, runtime, monkeypatch):
    email = make_staff("admin")
    monkeypatch.setattr(runtime.settings, "env", "production")
    assert "Secure" in sign_in(client, email).headers["set-cookie"]


def test_sign_in_page_has_labelled_inputs(client):
    html = client.get("/signin").text
    assert '<label for="f-email">' in html and 'id="f-email"' in html
    assert '<label for="f-password">' in html and 'id="f-password"' in html


def test_wrong_password_is_a_plain_message(client, make_staff):
    reply = sign_in(client, make_staff("admin"), password="not-the-password")
    assert reply.status_code == 401
    assert "Wrong e-mail or password." in reply.text
    assert "guanxi_session" not in reply.headers.get("set-cookie", "")


def test_lockout_message_after_repeated_failures(client, make_staff, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "login_max_failures", 3)
    email = make_staff("admin")
    replies = [sign_in(client, email, password="wrong-password-x") for _ in range(3)]
    assert [r.status_code for r in replies] == [401, 401, 423]
    assert "locked for 15 more minute(s)" in replies[-1].text
    # Even the right password is refused while the lock lasts, with the same message.
    reply = sign_in(client, email)
    assert reply.status_code == 423 and "locked" in reply.text


def test_lockout_message_in_chinese(client, make_staff, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "login_max_failures", 1)
    email = make_staff("admin")
    client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    reply = sign_in(client, email, password="wrong-password-x")
    assert reply.status_code == 423 and "此账户已被锁定" in reply.text


def test_pages_send_strangers_to_sign_in_and_back(client, make_staff):
    reply = client.get("/customers?q=li", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/signin?next=/customers%3Fq%3Dli"
    htmx = client.get("/customers", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/signin")
    reply = sign_in(client, make_staff("admin"), next="/customers?q=li")
    assert reply.headers["location"] == "/customers?q=li"


def test_next_never_leaves_the_site(client, make_staff):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        reply = sign_in(client, make_staff("admin"), next=target)
        assert reply.headers["location"] == "/dashboard"


def test_sign_out_ends_the_session(client, make_staff):
    sign_in(client, make_staff("admin"))
    old = client.cookies.get("guanxi_session")
    reply = post_form(client, "/dashboard", "/signout", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/signin"
    client.cookies.set("guanxi_session", old)  # even a copy of the cookie no longer works
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_password_change(client, make_staff):
    email = make_staff("service")
    sign_in(client, email)
    wrong = post_form(client, "/account", "/account/password", {
        "current_password": "nope-nope-nope", "new_password": "a-new-password-1", "confirm_password": "a-new-password-1"})
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    differ = post_form(client, "/account", "/account/password", {
        "current_password": PASSWORD, "new_password": "a-new-password-1", "confirm_password": "another-one-22"})
    assert differ.status_code == 422 and "The two new passwords differ." in differ.text
    short = post_form(client, "/account", "/account/password", {
        "current_password": PASSWORD, "new_password": "short", "confirm_password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    done = post_form(client, "/account", "/account/password", {
        "current_password": PASSWORD, "new_password": "a-new-password-1", "confirm_password": "a-new-password-1"},
        headers={"HX-Request": "true"})
    assert done.status_code == 200 and "Your password has been changed." in done.text
    assert "<html" not in done.text  # HTMX gets only the form's fragment
    client.cookies.clear()
    assert sign_in(client, email, password="a-new-password-1").status_code == 303


def test_csrf_field_is_on_every_form(staff_client, seed_customer):
    client = staff_client("admin")
    customer_id = seed_customer()
    for path in ("/account", f"/customers/{customer_id}", "/settings/tokens", "/settings/staff"):
        html = client.get(path).text
        assert html.count("<form") == html.count('name="csrf_token"') + html.count('method="get"'), path
        csrf_of(html)
