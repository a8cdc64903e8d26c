"""Staff sign-in and sign-out, the account page (password, language) and the language switch."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from guanxi.deps import SESSION_COOKIE, RuntimeDep, SessionDep
from guanxi.errors import Invalid, Locked, NotFound, Unauthorized
from guanxi.privacy import audit
from guanxi.privacy.audit import AuditKind
from guanxi.staff import service as staff_service
from guanxi.staff.models import StaffUser
from guanxi.staff.roles import Actor, Role
from guanxi.web import menu
from guanxi.web.auth import StaffPage, safe_next, set_cookie
from guanxi.web.i18n import LOCALE_COOKIE, N_, supported
from guanxi.web.rendering import render, state_of

router = APIRouter()
FormText = Annotated[str, Form(max_length=300)]

menu.add("account", N_("Account"), "/account", None, group="settings", order=900)


@router.get("/")
def home(actor: StaffPage) -> RedirectResponse:
    return RedirectResponse(menu.landing(actor), status_code=303)


@router.get("/signin")
def signin_form(request: Request, next: str | None = None):
    return render(request, "auth/signin.html", {"next": safe_next(next, ""), "email": ""})


@router.post("/signin")
def signin(request: Request, session: SessionDep, runtime: RuntimeDep, email: FormText = "",
           password: FormText = "", next: FormText = ""):
    t = state_of(request).t
    settings = runtime.settings
    try:
        user = staff_service.authenticate(session, email, password, max_failures=settings.login_max_failures,
                                          lockout=dt.timedelta(minutes=settings.login_lockout_minutes))
    except (Locked, Unauthorized):
        session.commit()  # keep the failure count
        minutes = _locked_minutes(session, email)
        if minutes:
            error = t.gettext("Too many failed sign-ins: this account is locked for %(minutes)s more minute(s).",
                              minutes=minutes)
        else:
            error = t.gettext("Wrong e-mail or password.")
        return render(request, "auth/signin.html", {"error": error, "email": email, "next": next},
                      status=423 if minutes else 401)
    actor = Actor(kind="user", id=user.id, name=user.email, role=Role(user.role))
    token = staff_service.start_session(session, user, settings.session_hours)
    audit.record(session, AuditKind.signed_in, actor, via="web")
    session.commit()
    response = RedirectResponse(safe_next(next, menu.landing(actor)), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, token, max_age=settings.session_hours * 3600)
    return response


def _locked_minutes(session, email: str) -> int | None:
    try:
        user = staff_service.get_user_by_email(session, email)
    except NotFound:
        return None
    if not user.locked_until or user.locked_until <= dt.datetime.now(dt.UTC):
        return None
    return max(1, int((user.locked_until - dt.datetime.now(dt.UTC)).total_seconds() // 60) + 1)


@router.post("/signout")
def signout(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        staff_service.end_session(session, token)
        session.commit()
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, actor: StaffPage):
    return render(request, "auth/account.html", {"done": request.query_params.get("done")})


@router.post("/account/password")
def change_password(request: Request, actor: StaffPage, session: SessionDep, current_password: FormText = "",
                    new_password: FormText = "", confirm_password: FormText = ""):
    t = state_of(request).t
    errors: dict[str, str] = {}
    if actor.kind != "user":
        errors["current_password"] = t.gettext("Only a signed-in staff member can change a password.")
    elif new_password != confirm_password:
        errors["confirm_password"] = t.gettext("The two new passwords differ.")
    else:
        try:
            staff_service.change_password(session, session.get(StaffUser, actor.id), current_password, new_password)
            session.commit()
        except Unauthorized:
            errors["current_password"] = t.gettext("The current password is wrong.")
        except Invalid:
            errors["new_password"] = t.gettext("The new password must be at least %(n)s characters long.",
                                               n=staff_service.MIN_PASSWORD)
    if errors:
        return render(request, "auth/account.html", {"errors": errors}, fragment="auth/_password.html", status=422)
    return render(request, "auth/account.html", {"done": "password"}, fragment="auth/_password.html")


@router.post("/locale")
def switch_locale(request: Request, session: SessionDep, locale: FormText = "", next: FormText = "") -> Response:
    """Switch language: remembered in this browser, and as the staff member's own setting."""
    chosen = supported(locale)
    target = safe_next(next, "/")
    response = RedirectResponse(target, status_code=303)
    if chosen is None:
        return response
    set_cookie(response, request, LOCALE_COOKIE, chosen, max_age=365 * 24 * 3600)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            actor = staff_service.actor_for_token(session, token)
        except Unauthorized:
            return response
        if actor.kind == "user":
            # staff.service has no setter for the locale; it is the user's own preference column.
            session.get(StaffUser, actor.id).locale = chosen
            session.commit()
    return response
