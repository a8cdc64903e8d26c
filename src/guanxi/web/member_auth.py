"""Who a member page is for: the member session cookie, and the member as an audit actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from guanxi.customers import profiles
from guanxi.deps import RuntimeDep
from guanxi.errors import NotFound
from guanxi.web import member_codes
from guanxi.web.auth import SignInRequired
from guanxi.web.csrf import MEMBER_COOKIE
from guanxi.web.rendering import set_state

MEMBER_SIGN_IN = "/m/signin"


class _MemberRole:
    value = "member"


@dataclass(frozen=True)
class MemberActor:
    """A member acting on their own data: what the audit log needs of an actor."""

    id: int
    kind: str = "member"
    role = _MemberRole()

    @property
    def name(self) -> str:
        return f"customer:{self.id}"

    @property
    def ref(self) -> str:
        return f"member:{self.id}"


def member_page(request: Request, runtime: RuntimeDep) -> MemberActor:
    token = request.cookies.get(MEMBER_COOKIE)
    path = request.url.path
    if not token:
        raise SignInRequired(path, MEMBER_SIGN_IN)
    with runtime.factory() as session:
        customer_id = member_codes.member_for(session, runtime.secrets.session_secret, token)
        if customer_id is None:
            raise SignInRequired(path, MEMBER_SIGN_IN)
        try:
            customer = profiles.live_customer(session, customer_id)
        except NotFound:  # erased since
            raise SignInRequired(path, MEMBER_SIGN_IN) from None
        locale = customer.locale
    set_state(request, member_id=customer.id, own_locale=locale)
    return MemberActor(customer.id)


Member = Annotated[MemberActor, Depends(member_page)]
