"""Staff users, sign-in with lockout, and API tokens (stored as hashes only)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.errors import Conflict, Invalid, Locked, NotFound, Unauthorized
from guanxi.db import utcnow
from guanxi.staff.models import ApiToken, StaffUser
from guanxi.staff.passwords import hash_password, verify_password
from guanxi.staff.roles import Actor, Role

MIN_PASSWORD = 10
TOKEN_PREFIX = "gx_"


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(f"unknown role {value!r}; choose one of: {', '.join(r.value for r in Role)}") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"the password must be at least {MIN_PASSWORD} characters long")


def create_user(session: Session, *, email: str, password: str, role: str, name: str = "",
                locale: str = "zh-CN") -> StaffUser:
    email = email.strip().lower()
    if "@" not in email:
        raise Invalid(f"{email!r} is not an e-mail address")
    _check_password(password)
    if session.scalar(select(StaffUser).where(StaffUser.email == email)):
        raise Conflict(f"a staff user {email} exists already")
    user = StaffUser(email=email, name=name, role=_role(role).value,
                     password_hash=hash_password(password), locale=locale)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))


def get_user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound(f"no staff user {user_id}")
    return user


def get_user_by_email(session: Session, email: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no staff user {email}")
    return user


def disable_user(session: Session, email: str) -> StaffUser:
    user = get_user_by_email(session, email)
    user.active = False
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                        ApiToken.revoked_at.is_(None))):
        token.revoked_at = utcnow()
    return user


def change_password(session: Session, user: StaffUser, old: str, new: str) -> None:
    if not verify_password(user.password_hash, old):
        raise Unauthorized("the current password is wrong")
    _check_password(new)
    user.password_hash = hash_password(new)


def authenticate(session: Session, email: str, password: str, *, max_failures: int,
                 lockout: dt.timedelta, now: dt.datetime | None = None) -> StaffUser:
    """Check a password; too many failures lock the account for `lockout`.

    The caller commits in both outcomes, so failures are counted even when this raises.
    """
    now = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is not None and user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise Locked(f"too many failed sign-ins: the account is locked for {minutes} more minute(s)")
    if user is None or not verify_password(user.password_hash, password) or not user.active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + lockout
                user.failed_logins = 0
        raise Unauthorized("wrong e-mail or password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, name: str, role: str, user_id: int | None = None,
                 expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token; the plaintext is returned once and never stored."""
    name = name.strip()
    if not name:
        raise Invalid("a token needs a name")
    if session.scalar(select(ApiToken).where(ApiToken.name == name)):
        raise Conflict(f"a token named {name!r} exists already; revoke it or choose another name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=_role(role).value, token_hash=_hash_token(plain),
                   user_id=user_id, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row, plain


def list_tokens(session: Session, *, include_sessions: bool = False) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_sessions:
        query = query.where(ApiToken.user_id.is_(None))
    return list(session.scalars(query))


def get_token(session: Session, name: str) -> ApiToken:
    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise NotFound(f"no token named {name!r}")
    return row


def revoke_token(session: Session, name: str) -> ApiToken:
    row = get_token(session, name)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def start_session(session: Session, user: StaffUser, hours: int) -> str:
    _, plain = create_token(session, name=f"session:{user.id}:{secrets.token_hex(6)}", role=user.role,
                            user_id=user.id, expires_at=utcnow() + dt.timedelta(hours=hours))
    return plain


def end_session(session: Session, plain: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(plain)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def actor_for_token(session: Session, plain: str) -> Actor:
    """Resolve a bearer token to its actor; a revoked or expired token fails at once."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(plain)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise Unauthorized("the token is unknown, revoked or expired")
    if row.user_id is not None:
        user = session.get(StaffUser, row.user_id)
        if user is None or not user.active:
            raise Unauthorized("this staff account is disabled")
        return Actor(kind="user", id=user.id, name=user.email, role=Role(user.role))
    return Actor(kind="token", id=row.id, name=row.name, role=Role(row.role))
