"""Member sign-in under /m/: an e-mail address, then the one-time code sent to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import Invalid
from guanxi.web import member_codes, member_mail
from guanxi.web.auth import safe_next, set_cookie
from guanxi.web.csrf import MEMBER_COOKIE
from guanxi.web.rendering import render, state_of

router = APIRouter()
FormText = Annotated[str, Form(max_length=254)]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/m/signin")
def signin_form(request: Request, next: str | None = None):
    return render(request, "member/signin.html", {"email": "", "next": safe_next(next, "/m/")})


@router.post("/m/signin")
def send_code(request: Request, session: SessionDep, runtime: RuntimeDep, email: FormText = "",
              next: FormText = ""):
    t = state_of(request).t
    context = {"email": email, "next": safe_next(next, "/m/")}
    try:
        sent = member_codes.request_code(session, runtime.cipher, runtime.secrets.session_secret, email,
                                         _client(request))
    except Invalid:
        return render(request, "member/signin.html",
                      {**context, "error": t.gettext("Enter a valid e-mail address.")}, status=422)
    except member_codes.TooManyCodes:
        session.rollback()
        return render(request, "member/signin.html", {
            **context, "error": t.gettext("Too many codes were asked for. Wait a few minutes and try again.")},
            status=429)
    if sent.code:
        try:
            member_mail.send_code(runtime.settings, email.strip(), sent.code, member_codes.CODE_MINUTES,
                                  state_of(request).locale)
        except member_mail.MailUnavailable:
            session.rollback()
            return render(request, "member/signin.html", {
                **context, "error": t.gettext("The code could not be sent just now. Try again in a minute.")},
                status=503)
    session.commit()
    return render(request, "member/verify.html", {**context, "minutes": member_codes.CODE_MINUTES})


@router.post("/m/verify")
def verify(request: Request, session: SessionDep, runtime: RuntimeDep, email: FormText = "", code: FormText = "",
           next: FormText = ""):
    secret = runtime.secrets.session_secret
    try:
        customer_id = member_codes.verify_code(session, runtime.cipher, secret, email, code)
    except member_codes.CodeRejected:
        session.commit()  # keep the attempt count
        error = state_of(request).t.gettext("This code is wrong, used or expired. Check it, or ask for a new one.")
        return render(request, "member/verify.html", {
            "email": email, "next": safe_next(next, "/m/"), "error": error,
            "minutes": member_codes.CODE_MINUTES}, status=401)
    token = member_codes.start_session(session, secret, customer_id)
    session.commit()
    response = RedirectResponse(safe_next(next, "/m/"), status_code=303)
    set_cookie(response, request, MEMBER_COOKIE, token, max_age=member_codes.SESSION_DAYS * 24 * 3600)
    return response


@router.post("/m/signout")
def signout(request: Request, session: SessionDep, runtime: RuntimeDep):
    token = request.cookies.get(MEMBER_COOKIE)
    if token:
        member_codes.end_session(session, runtime.secrets.session_secret, token)
        session.commit()
    response = RedirectResponse("/m/signin", status_code=303)
    response.delete_cookie(MEMBER_COOKIE, path="/")
    return response
