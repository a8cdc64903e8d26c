from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from guanxi.schemas import PublicModel, StrictModel
from guanxi.staff.roles import Role

# JSON has no enum type: a role arrives as its string value, so this field is not strict
# (a strict field takes only Role instances, which a JSON body can never hold).
RoleName = Annotated[Role, Field(strict=False)]


class LoginRequest(StrictModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class LoginReply(PublicModel):
    token: str
    expires_at: dt.datetime
    role: Role


class PasswordChange(StrictModel):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class StaffUserCreate(StrictModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=10, max_length=200)
    role: RoleName
    name: str = Field(default="", max_length=200)
    locale: str = Field(default="zh-CN", pattern=r"^(zh-CN|en)$")


class StaffUserPublic(PublicModel):
    id: int
    email: str
    name: str
    role: Role
    locale: str
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class StaffUsersPublic(PublicModel):
    items: list[StaffUserPublic]
    count: int


class TokenCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    role: RoleName


class TokenPublic(PublicModel):
    id: int
    name: str
    role: Role
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenPublic):
    token: str


class TokensPublic(PublicModel):
    items: list[TokenPublic]
    count: int


class Me(PublicModel):
    kind: str
    name: str
    role: Role
    permissions: list[str]
