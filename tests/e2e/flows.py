"""Steps the browser tests share, written as a person does them."""

from __future__ import annotations

ADMIN = ("admin@shop.example", "correct-horse-1")
MEMBER_EMAIL = "wang.fang@example.com"


def sign_in(page, email: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    page.goto("/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
