"""Reading and submitting the pages' forms the way a browser would."""

from __future__ import annotations

import re

PASSWORD = "correct-horse-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, next: str = ""):
    token = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"email": email, "password": password, "csrf_token": token, "next": next},
                       follow_redirects=False)


def post_form(client, page: str, action: str, data: dict | None = None, **kwargs):
    """POST `data` to `action` with the CSRF token read from `page`."""
    token = csrf_of(client.get(page).text)
    return client.post(action, data={**(data or {}), "csrf_token": token}, **kwargs)
