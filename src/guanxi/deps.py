"""Named FastAPI dependencies: routes read like sentences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from guanxi.errors import Forbidden, Unauthorized
from guanxi.loyalty.partner_models import Partner
from guanxi.runtime import Runtime
from guanxi.staff import service as staff_service
from guanxi.staff.roles import Actor, Perm

SESSION_COOKIE = "guanxi_session"

_bearer = HTTPBearer(auto_error=False, description="A token from `guanxi token create`")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    session = runtime.factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]


def current_actor(request: Request, runtime: RuntimeDep,
                  creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    token = creds.credentials if creds else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorized("sign in, or send an API token as `Authorization: Bearer <token>`")
    # A short session of its own: authentication must not share the route's transaction.
    with runtime.factory() as session:
        actor = staff_service.actor_for_token(session, token)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(perm: Perm):
    def check(actor: CurrentActor) -> Actor:
        if not actor.can(perm):
            raise Forbidden(f"the {actor.role.value} role may not do this (needs {perm.value})")
        return actor

    check.__name__ = f"require_{perm.name}"
    return check


def allowed(perm: Perm):
    return Annotated[Actor, Depends(require(perm))]


AdminActor = allowed(Perm.users_manage)
AuditReader = allowed(Perm.audit_read)
TokenManager = allowed(Perm.tokens_manage)
SystemReader = allowed(Perm.system_read)

CustomerReader = allowed(Perm.customers_read)
CampaignManager = allowed(Perm.campaigns_manage)
TemplateWriter = allowed(Perm.templates_write)
AnalyticsReader = allowed(Perm.analytics_read)
CustomerWriter = allowed(Perm.customers_write)
OrderWriter = allowed(Perm.orders_write)
ImportRunner = allowed(Perm.imports_run)
PrivacyOfficer = allowed(Perm.privacy_requests)
Merger = allowed(Perm.customers_merge)
LoyaltyConfigurer = allowed(Perm.loyalty_configure)
LoyaltyAdjuster = allowed(Perm.loyalty_adjust)
SocialReader = allowed(Perm.social_read)
SocialManager = allowed(Perm.social_manage)
SocialWriter = allowed(Perm.social_write)


def current_partner(runtime: RuntimeDep, session: SessionDep,
                    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Partner:
    """The coalition partner whose own token this is (a staff token is no partner token, and vice versa)."""
    from guanxi.loyalty import partners

    if not creds:
        raise Unauthorized("send the partner's API token as `Authorization: Bearer <token>`")
    with runtime.factory() as auth_session:  # its own transaction, like current_actor: stamps last use
        partner_id = partners.partner_for_token(auth_session, creds.credentials).id
        auth_session.commit()
    return session.get(Partner, partner_id)


CurrentPartner = Annotated[Partner, Depends(current_partner)]
