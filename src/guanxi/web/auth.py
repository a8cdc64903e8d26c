"""Staff pages: the session cookie, who is signed in, and what their role lets them open."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from guanxi.deps import SESSION_COOKIE, RuntimeDep
from guanxi.errors import Unauthorized
from guanxi.staff import service as staff_service
from guanxi.staff.models import StaffUser
from guanxi.staff.roles import Actor, Perm
from guanxi.web.rendering import set_state


class SignInRequired(Exception):
    def __init__(self, next_path: str, sign_in_path: str = "/signin"):
        super().__init__(next_path)
        self.next_path = next_path
        self.sign_in_path = sign_in_path

    @property
    def location(self) -> str:
        return f"{self.sign_in_path}?next={quote(self.next_path, safe='/')}"


class PageForbidden(Exception):
    def __init__(self, perm: Perm):
        super().__init__(perm.value)
        self.perm = perm


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int, path: str = "/") -> None:
    """HttpOnly, SameSite=Lax, and Secure in production (behind TLS)."""
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax",
                        secure=request.app.state.runtime.settings.env == "production")


def _path_with_query(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def staff_page(request: Request, runtime: RuntimeDep) -> Actor:
    """The signed-in staff member (cookie session); otherwise off to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired(_path_with_query(request))
    with runtime.factory() as session:
        try:
            actor = staff_service.actor_for_token(session, token)
        except Unauthorized:
            raise SignInRequired(_path_with_query(request)) from None
        user = session.get(StaffUser, actor.id) if actor.kind == "user" else None
        own_locale = user.locale if user else None
    set_state(request, actor=actor, own_locale=own_locale)
    request.state.actor = actor
    return actor


StaffPage = Annotated[Actor, Depends(staff_page)]


def page_requires(perm: Perm):
    def check(actor: StaffPage) -> Actor:
        if not actor.can(perm):
            raise PageForbidden(perm)
        return actor

    check.__name__ = f"page_requires_{perm.name}"
    return check


def page_for(perm: Perm):
    """`actor: page_for(Perm.customers_read)` — signed in, and the role may open this page."""
    return Annotated[Actor, Depends(page_requires(perm))]


def safe_next(value: str | None, default: str) -> str:
    """Only a local path: never send someone on to another site after sign-in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
