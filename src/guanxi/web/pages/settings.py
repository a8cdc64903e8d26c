"""Settings: API tokens (create, revoke) and staff with their roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import SessionDep
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.privacy.audit import AuditKind
from guanxi.staff import service as staff_service
from guanxi.staff.roles import ROLE_PERMISSIONS, Actor, Perm, Role
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import is_htmx, render, state_of

router = APIRouter()
menu.add("tokens", N_("API tokens"), "/settings/tokens", Perm.tokens_manage, group="settings", order=10)
menu.add("staff", N_("Staff and roles"), "/settings/staff", Perm.users_manage, group="settings", order=20)

TokenManager = page_for(Perm.tokens_manage)
StaffAdmin = page_for(Perm.users_manage)
FormText = Annotated[str, Form(max_length=300)]


def grantable_roles(actor: Actor) -> list[Role]:
    """A token may not hold permissions its creator lacks."""
    return [r for r in Role if ROLE_PERMISSIONS[r] <= ROLE_PERMISSIONS[actor.role]]


def _tokens_page(request, session, actor, **extra):
    return render(request, "settings/tokens.html", {
        "tokens": staff_service.list_tokens(session), "roles": grantable_roles(actor), **extra,
    }, fragment="settings/_tokens.html", status=422 if extra.get("error") else 200)


@router.get("/settings/tokens")
def tokens(request: Request, actor: TokenManager, session: SessionDep):
    return _tokens_page(request, session, actor)


@router.post("/settings/tokens")
def create_token(request: Request, actor: TokenManager, session: SessionDep, name: FormText = "",
                 role: FormText = ""):
    t = state_of(request).t
    allowed = {r.value for r in grantable_roles(actor)}
    if role not in allowed:
        return _tokens_page(request, session, actor, error=t.gettext("Choose a role you may grant."), name=name)
    try:
        row, plain = staff_service.create_token(session, name=name, role=role)
    except Invalid:
        return _tokens_page(request, session, actor, error=t.gettext("A token needs a name."), name=name)
    except Conflict:
        return _tokens_page(request, session, actor, name=name,
                            error=t.gettext("A token with this name exists already."))
    audit.record(session, AuditKind.token_created, actor, subject_type="token", subject_id=row.name, via="web")
    session.commit()
    # The plaintext is shown in this reply only; it is never stored.
    return _tokens_page(request, session, actor, created=plain, created_name=row.name)


@router.post("/settings/tokens/revoke")
def revoke_token(request: Request, actor: TokenManager, session: SessionDep, name: FormText = ""):
    staff_service.revoke_token(session, name)
    audit.record(session, AuditKind.token_revoked, actor, subject_type="token", subject_id=name, via="web")
    session.commit()
    if not is_htmx(request):
        return RedirectResponse("/settings/tokens", status_code=303)
    return _tokens_page(request, session, actor)


def _staff_page(request, session, **extra):
    return render(request, "settings/staff.html", {
        "users": staff_service.list_users(session), "roles": list(Role), "role_perms": ROLE_PERMISSIONS,
        "form": extra.pop("form", {}), **extra,
    }, fragment="settings/_staff.html", status=422 if extra.get("errors") else 200)


@router.get("/settings/staff")
def staff(request: Request, actor: StaffAdmin, session: SessionDep):
    return _staff_page(request, session)


@router.post("/settings/staff")
def create_staff(request: Request, actor: StaffAdmin, session: SessionDep, email: FormText = "",
                 name: FormText = "", role: FormText = "", password: FormText = "", locale: FormText = "zh-CN"):
    t = state_of(request).t
    form = {"email": email, "name": name, "role": role, "locale": locale}
    errors = {}
    if role not in {r.value for r in Role}:
        errors["role"] = t.gettext("Choose a role.")
    if locale not in ("zh-CN", "en"):
        errors["locale"] = t.gettext("Choose a language.")
    if not errors:
        try:
            user = staff_service.create_user(session, email=email, password=password, role=role, name=name,
                                             locale=locale)
        except Conflict:
            errors["email"] = t.gettext("A staff member with this e-mail exists already.")
        except Invalid as exc:
            key = "password" if "password" in exc.detail else "email"
            errors[key] = (t.gettext("At least 10 characters.") if key == "password"
                           else t.gettext("Enter an e-mail address."))
    if errors:
        session.rollback()
        return _staff_page(request, session, errors=errors, form=form)
    audit.record(session, AuditKind.user_created, actor, subject_type="staff", subject_id=user.id, via="web")
    session.commit()
    return _staff_page(request, session, created=user.email)


@router.post("/settings/staff/disable")
def disable_staff(request: Request, actor: StaffAdmin, session: SessionDep, email: FormText = ""):
    try:
        user = staff_service.disable_user(session, email)
    except NotFound:
        return _staff_page(request, session)
    audit.record(session, AuditKind.user_disabled, actor, subject_type="staff", subject_id=user.id, via="web")
    session.commit()
    if not is_htmx(request):
        return RedirectResponse("/settings/staff", status_code=303)
    return _staff_page(request, session)
