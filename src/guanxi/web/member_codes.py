"""Member sign-in by a one-time code sent by e-mail: rate-limited, short-lived, single use.

Codes and session tokens are stored as keyed hashes (HMAC under the session secret); an
unknown address gets the same answer as a known one, so the form tells nobody who is a member.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from guanxi.customers import normalise, profiles
from guanxi.customers.identity import identity_hash
from guanxi.customers.models import Identity
from guanxi.customers.records import IdentityKey
from guanxi.db import utcnow
from guanxi.errors import GuanxiError, Invalid
from guanxi.privacy.crypto import PiiCipher
from guanxi.web.models import MemberCode, MemberSession

CODE_DIGITS = 6
CODE_MINUTES = 10
MAX_ATTEMPTS = 5                   # wrong guesses before a code is burnt
PER_IDENTITY = (3, dt.timedelta(minutes=15))   # codes per e-mail address per window
PER_CLIENT = (10, dt.timedelta(hours=1))       # codes per network address per window
SESSION_DAYS = 30


class TooManyCodes(GuanxiError):
    status = 429
    title = "Too many requests"


class CodeRejected(GuanxiError):
    """Wrong, expired or used code; the member asks for a new one."""

    status = 401
    title = "Code rejected"


@dataclass(frozen=True)
class CodeSent:
    customer_id: int | None  # None: no member with this address (nothing was sent)
    code: str | None         # the plaintext, for the mail only; never stored


def _keyed(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def email_hash(cipher: PiiCipher, email: str) -> str:
    return identity_hash(cipher, IdentityKey("email", "", normalise.email(email)))


def request_code(session: Session, cipher: PiiCipher, secret: str, email: str, client: str, *,
                 now: dt.datetime | None = None) -> CodeSent:
    """Make a code for the member with this e-mail; raises TooManyCodes past either limit."""
    now = now or utcnow()
    ident = email_hash(cipher, email)  # Invalid for a malformed address
    client_hash = _keyed(secret, "client", client)
    for column, value, (limit, window) in ((MemberCode.identity_hash, ident, PER_IDENTITY),
                                           (MemberCode.client_hash, client_hash, PER_CLIENT)):
        recent = session.scalar(select(func.count()).select_from(MemberCode)
                                .where(column == value, MemberCode.created_at > now - window))
        if recent >= limit:
            raise TooManyCodes(f"too many codes asked for; try again in {int(window.total_seconds() // 60)} minutes")
    owner = session.scalar(select(Identity.customer_id).where(Identity.value_hash == ident))
    customer_id = None
    if owner is not None:
        try:
            customer_id = profiles.live_customer(session, owner).id
        except GuanxiError:  # erased
            customer_id = None
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}" if customer_id else None
    session.add(MemberCode(identity_hash=ident, client_hash=client_hash, customer_id=customer_id,
                           code_hash=_keyed(secret, "code", ident, code) if code else None,
                           created_at=now, expires_at=now + dt.timedelta(minutes=CODE_MINUTES)))
    session.flush()
    return CodeSent(customer_id, code)


def verify_code(session: Session, cipher: PiiCipher, secret: str, email: str, code: str, *,
                now: dt.datetime | None = None) -> int:
    """The customer id for a right, fresh, unused code; the code is used up at once."""
    now = now or utcnow()
    try:
        ident = email_hash(cipher, email)
    except Invalid:
        raise CodeRejected("this code is wrong or has expired; ask for a new one") from None
    row = session.scalar(select(MemberCode).where(
        MemberCode.identity_hash == ident, MemberCode.code_hash.is_not(None), MemberCode.used_at.is_(None),
        MemberCode.expires_at > now, MemberCode.attempts < MAX_ATTEMPTS,
    ).order_by(MemberCode.id.desc()).limit(1))
    code = "".join(ch for ch in code if ch.isdigit())
    if row is None or not hmac.compare_digest(row.code_hash, _keyed(secret, "code", ident, code)):
        if row is not None:
            row.attempts += 1
        raise CodeRejected("this code is wrong or has expired; ask for a new one")
    # Compare-and-set: of two requests racing with the same code only one signs in.
    used = session.execute(update(MemberCode).where(MemberCode.id == row.id, MemberCode.used_at.is_(None))
                           .values(used_at=now))
    if used.rowcount != 1:
        raise CodeRejected("this code has been used already; ask for a new one")
    return row.customer_id


def start_session(session: Session, secret: str, customer_id: int, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(MemberSession(token_hash=_keyed(secret, "member-session", token), customer_id=customer_id,
                              created_at=now, expires_at=now + dt.timedelta(days=SESSION_DAYS)))
    session.flush()
    return token


def member_for(session: Session, secret: str, token: str, now: dt.datetime | None = None) -> int | None:
    now = now or utcnow()
    row = session.scalar(select(MemberSession).where(MemberSession.token_hash == _keyed(secret, "member-session", token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row.customer_id


def end_session(session: Session, secret: str, token: str) -> None:
    session.execute(update(MemberSession)
                    .where(MemberSession.token_hash == _keyed(secret, "member-session", token),
                           MemberSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
