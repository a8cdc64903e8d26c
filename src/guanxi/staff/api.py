"""Sign-in, staff users and API tokens."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response, status

from guanxi.deps import SESSION_COOKIE, AdminActor, CurrentActor, RuntimeDep, SessionDep, TokenManager
from guanxi.errors import Forbidden, GuanxiError, Unauthorized
from guanxi.privacy import audit
from guanxi.privacy.audit import AuditKind
from guanxi.staff import service
from guanxi.staff.models import StaffUser
from guanxi.staff.roles import ROLE_PERMISSIONS, Actor, Role
from guanxi.staff.schemas import (
    LoginReply, LoginRequest, Me, PasswordChange, StaffUserCreate, StaffUserPublic, StaffUsersPublic,
    TokenCreate, TokenCreated, TokenPublic, TokensPublic,
)

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.post("/auth/login", response_model=LoginReply)
def login(body: LoginRequest, session: SessionDep, runtime: RuntimeDep) -> LoginReply:
    """Exchange an e-mail and password for a session token (locks after repeated failures)."""
    settings = runtime.settings
    try:
        user = service.authenticate(session, body.email, body.password,
                                    max_failures=settings.login_max_failures,
                                    lockout=dt.timedelta(minutes=settings.login_lockout_minutes))
    except GuanxiError:
        session.commit()  # keep the failure count
        raise
    actor = Actor(kind="user", id=user.id, name=user.email, role=Role(user.role))
    token = service.start_session(session, user, settings.session_hours)
    audit.record(session, AuditKind.signed_in, actor)
    session.commit()
    return LoginReply(token=token, role=Role(user.role),
                      expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=settings.session_hours))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, actor: CurrentActor, session: SessionDep) -> Response:
    """End this sign-in session (API tokens are revoked with `guanxi token revoke`)."""
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    token = token or request.cookies.get(SESSION_COOKIE)
    if actor.kind == "user" and token:
        service.end_session(session, token)
        session.commit()
    return Response(status_code=204)


@router.get("/auth/me", response_model=Me)
def me(actor: CurrentActor) -> Me:
    return Me(kind=actor.kind, name=actor.name, role=actor.role,
              permissions=sorted(p.value for p in ROLE_PERMISSIONS[actor.role]))


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def password(body: PasswordChange, actor: CurrentActor, session: SessionDep) -> Response:
    if actor.kind != "user":
        raise Unauthorized("only a signed-in staff member can change a password")
    user = session.get(StaffUser, actor.id)
    service.change_password(session, user, body.current_password, body.new_password)
    session.commit()
    return Response(status_code=204)


@router.get("/staff", response_model=StaffUsersPublic)
def list_staff(actor: AdminActor, session: SessionDep) -> StaffUsersPublic:
    users = service.list_users(session)
    return StaffUsersPublic(items=[StaffUserPublic.model_validate(u) for u in users], count=len(users))


@router.post("/staff", response_model=StaffUserPublic, status_code=201)
def create_staff(body: StaffUserCreate, actor: AdminActor, session: SessionDep) -> StaffUserPublic:
    user = service.create_user(session, email=body.email, password=body.password, role=body.role,
                               name=body.name, locale=body.locale)
    audit.record(session, AuditKind.user_created, actor, subject_type="staff", subject_id=user.id)
    session.commit()
    return StaffUserPublic.model_validate(user)


def _check_within_own_role(actor: Actor, role: Role, verb: str) -> None:
    # Otherwise a tech token could mint (or cut off) an admin token: powers tech does not have.
    if not ROLE_PERMISSIONS[role] <= ROLE_PERMISSIONS[actor.role]:
        raise Forbidden(f"the {actor.role.value} role may not {verb} a token with the {role.value} role "
                        "(it has permissions this role lacks)")


@router.get("/tokens", response_model=TokensPublic)
def list_tokens(actor: TokenManager, session: SessionDep) -> TokensPublic:
    rows = service.list_tokens(session)
    return TokensPublic(items=[TokenPublic.model_validate(r) for r in rows], count=len(rows))


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, actor: TokenManager, session: SessionDep) -> TokenCreated:
    """Create an API token; its value is shown in this reply only."""
    _check_within_own_role(actor, body.role, "create")
    row, plain = service.create_token(session, name=body.name, role=body.role)
    audit.record(session, AuditKind.token_created, actor, subject_type="token", subject_id=row.name)
    session.commit()
    return TokenCreated(**TokenPublic.model_validate(row).model_dump(), token=plain)


@router.delete("/tokens/{name}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(name: str, actor: TokenManager, session: SessionDep) -> Response:
    """Revoke a token by name; a role may only revoke tokens whose permissions it holds itself."""
    _check_within_own_role(actor, Role(service.get_token(session, name).role), "revoke")
    service.revoke_token(session, name)
    audit.record(session, AuditKind.token_revoked, actor, subject_type="token", subject_id=name)
    session.commit()
    return Response(status_code=204)
