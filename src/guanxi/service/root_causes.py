"""The shop's editable root-cause list: a resolution (and an improvement action) names one of the
active causes. Seeded once from the built-in list; retiring keeps the row so old tickets still read."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.service.models import RootCause

DEFAULTS = {
    "product_defect": ("Product defect", "产品质量问题"), "listing_error": ("Listing error", "商品描述错误"),
    "supplier": ("Supplier", "供应商"), "warehouse": ("Warehouse", "仓库"), "carrier": ("Carrier", "快递物流"),
    "staff": ("Staff", "员工"), "policy": ("Policy", "政策规则"), "system_outage": ("System outage", "系统故障"),
    "payment_provider": ("Payment provider", "支付渠道"),
    "customer_misunderstanding": ("Customer misunderstanding", "客户误解"), "fraud": ("Fraud", "欺诈"),
    "other": ("Other", "其他"),
}
CODE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


def ensure_defaults(session: Session) -> None:
    """Seed the built-in causes once; afterwards the shop's edits rule."""
    if session.scalar(select(RootCause.id).limit(1)) is None:
        for code, (en, zh) in DEFAULTS.items():
            session.add(RootCause(code=code, name_en=en, name_zh=zh, active=True))
        session.flush()


def all_causes(session: Session) -> list[RootCause]:
    ensure_defaults(session)
    return list(session.scalars(select(RootCause).order_by(RootCause.id)))


def active_codes(session: Session) -> list[str]:
    return [c.code for c in all_causes(session) if c.active]


def check(session: Session, code: str) -> None:
    """Refuse a root cause that is not on the active list, naming the choices."""
    codes = active_codes(session)
    if code not in codes:
        row = session.scalar(select(RootCause).where(RootCause.code == code))
        why = "is retired" if row is not None else "is not on the list"
        raise Invalid(f"root cause {code!r} {why}; choose one of {', '.join(codes)} "
                      "(the list is edited under /service/settings)")


def get(session: Session, code: str) -> RootCause:
    ensure_defaults(session)
    row = session.scalar(select(RootCause).where(RootCause.code == code))
    if row is None:
        raise NotFound(f"no root cause {code!r}")
    return row


def create(session: Session, code: str, name_en: str, name_zh: str) -> tuple[RootCause, bool]:
    """Add a cause; sending the same one again returns it unchanged (created=False)."""
    if not CODE.match(code):
        raise Invalid("a root-cause code is 1 to 100 lower-case letters, digits or _, starting with a letter")
    if not name_en.strip() or not name_zh.strip():
        raise Invalid("a root cause needs an English and a Chinese name")
    ensure_defaults(session)
    row = session.scalar(select(RootCause).where(RootCause.code == code))
    if row is not None:
        if (row.name_en, row.name_zh) == (name_en.strip(), name_zh.strip()):
            return row, False
        raise Conflict(f"root cause {code!r} exists with other names; change it with PATCH")
    row = RootCause(code=code, name_en=name_en.strip(), name_zh=name_zh.strip(), active=True)
    session.add(row)
    session.flush()
    return row, True


def update(session: Session, code: str, *, name_en: str | None = None, name_zh: str | None = None,
           active: bool | None = None) -> RootCause:
    row = get(session, code)
    for field, value in (("name_en", name_en), ("name_zh", name_zh)):
        if value is not None:
            if not value.strip():
                raise Invalid(f"{field} may not be blank")
            setattr(row, field, value.strip())
    if active is not None:
        row.active = active
    if not any(c.active for c in all_causes(session)):
        raise Invalid("keep at least one active root cause, or no ticket can be resolved")
    session.flush()
    return row
