"""Coupon codes: what a coupon reward gives (fixed, percent with a cap, free shipping; limited to categories;
a minimum spend), checked against a cart, and consumed once by one order.

A code is issued by a redemption of a coupon reward (points.redeem) or given as a referral reward
(`issue`); checkout validates it (what it gives, whose it is, whether it applies) and consumes it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.loyalty.models import CouponUse, Redemption, Reward
from guanxi.money import MAX_MINOR, is_currency

FIXED, PERCENT, FREE_SHIPPING = "fixed", "percent", "free_shipping"
DEFAULT_VALID_DAYS = 90
GIFT_SOURCE = "gift"   # entry_ref of a coupon given without points (a referral reward)


@dataclass(frozen=True)
class Coupon:
    type: str
    amount_minor: int = 0           # fixed
    currency: str | None = None     # fixed (and the minimum spend's currency)
    percent: int = 0                # percent, 1..100
    cap_minor: int | None = None    # percent: at most this much off
    categories: tuple[str, ...] = ()  # only lines in these categories (a prefix: "beauty" covers "beauty/lips")
    min_spend_minor: int = 0        # on the eligible lines
    valid_days: int = DEFAULT_VALID_DAYS


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int
    unit_price_minor: int
    category: str | None = None


@dataclass(frozen=True)
class Cart:
    currency: str
    lines: tuple[CartLine, ...]
    shipping_minor: int = 0


@dataclass
class Outcome:
    discount_minor: int = 0
    free_shipping: bool = False
    eligible_minor: int = 0
    problems: list[str] = field(default_factory=list)


def _int(details: dict, key: str, low: int, high: int, default: int | None = None) -> int | None:
    value = details.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(f"coupon {key} is a whole number from {low} to {high}",
                      errors=[{"loc": ["body", "details", "coupon", key], "msg": f"{low}..{high}"}])
    return value


def parse(details: dict) -> Coupon:
    """The coupon a reward's details describe (details["coupon"]); Invalid (422) saying what is wrong."""
    c = details.get("coupon")
    if not isinstance(c, dict):
        raise Invalid('a coupon reward needs details.coupon, e.g. {"type": "fixed", "amount_minor": 1000, '
                      '"currency": "CNY"}', errors=[{"loc": ["body", "details", "coupon"], "msg": "required"}])
    unknown = set(c) - {"type", "amount_minor", "currency", "percent", "cap_minor", "categories",
                        "min_spend_minor", "valid_days"}
    if unknown:
        raise Invalid(f"unknown coupon fields: {', '.join(sorted(unknown))}",
                      errors=[{"loc": ["body", "details", "coupon", k], "msg": "unknown"} for k in sorted(unknown)])
    kind = c.get("type")
    if kind not in (FIXED, PERCENT, FREE_SHIPPING):
        raise Invalid("coupon type is fixed, percent or free_shipping",
                      errors=[{"loc": ["body", "details", "coupon", "type"], "msg": "fixed|percent|free_shipping"}])
    currency = c.get("currency")
    if currency is not None and (not isinstance(currency, str) or not is_currency(currency)):
        raise Invalid(f"coupon currency {currency!r} is not an ISO 4217 code",
                      errors=[{"loc": ["body", "details", "coupon", "currency"], "msg": "e.g. CNY"}])
    categories = c.get("categories", [])
    if not isinstance(categories, list) or not all(isinstance(x, str) and x.strip() for x in categories):
        raise Invalid("coupon categories is a list of category names",
                      errors=[{"loc": ["body", "details", "coupon", "categories"], "msg": "list of text"}])
    coupon = Coupon(type=kind, amount_minor=_int(c, "amount_minor", 0, MAX_MINOR, 0), currency=currency,
                    percent=_int(c, "percent", 0, 100, 0), cap_minor=_int(c, "cap_minor", 1, MAX_MINOR),
                    categories=tuple(x.strip() for x in categories), min_spend_minor=_int(c, "min_spend_minor", 0,
                                                                                          MAX_MINOR, 0),
                    valid_days=_int(c, "valid_days", 1, 3660, DEFAULT_VALID_DAYS))
    if kind == FIXED and (coupon.amount_minor <= 0 or currency is None):
        raise Invalid("a fixed coupon needs amount_minor > 0 and a currency",
                      errors=[{"loc": ["body", "details", "coupon", "amount_minor"], "msg": "> 0, with currency"}])
    if kind == PERCENT and not 1 <= coupon.percent <= 100:
        raise Invalid("a percent coupon needs percent from 1 to 100",
                      errors=[{"loc": ["body", "details", "coupon", "percent"], "msg": "1..100"}])
    if coupon.min_spend_minor and currency is None:
        raise Invalid("a minimum spend needs the coupon's currency",
                      errors=[{"loc": ["body", "details", "coupon", "currency"], "msg": "required"}])
    return coupon


def _in(category: str | None, categories: tuple[str, ...]) -> bool:
    if not categories:
        return True
    return category is not None and any(category == c or category.startswith(c + "/") for c in categories)


def evaluate(coupon: Coupon, cart: Cart) -> Outcome:
    """What the coupon takes off this cart (pure); problems say why it does not apply."""
    out = Outcome()
    eligible = sum(l.quantity * l.unit_price_minor for l in cart.lines if _in(l.category, coupon.categories))
    out.eligible_minor = eligible
    if coupon.currency is not None and coupon.currency != cart.currency:
        out.problems.append(f"the coupon is in {coupon.currency}, the cart in {cart.currency}")
        return out
    if coupon.categories and eligible == 0:
        out.problems.append(f"no item in the cart is in {', '.join(coupon.categories)}")
        return out
    if eligible < coupon.min_spend_minor:
        out.problems.append(f"spend at least {coupon.min_spend_minor} (minor units) on eligible items; "
                            f"the cart has {eligible}")
        return out
    if coupon.type == FIXED:
        out.discount_minor = min(coupon.amount_minor, eligible)
    elif coupon.type == PERCENT:
        off = eligible * coupon.percent // 100
        out.discount_minor = min(off, coupon.cap_minor) if coupon.cap_minor is not None else off
    else:
        out.free_shipping = True
        out.discount_minor = cart.shipping_minor
    return out


def new_code() -> str:
    return secrets.token_hex(6).upper()


def expires_at(redemption: Redemption, coupon: Coupon) -> dt.datetime:
    return redemption.created_at + dt.timedelta(days=coupon.valid_days)


def issue(session: Session, customer_id: int, reward_id: int, key: str, *, now: dt.datetime | None = None
          ) -> tuple[Redemption, bool]:
    """Give a member a coupon without spending points (a referral reward); idempotent on `key`."""
    now = now or utcnow()
    customer_id = profiles.live_customer(session, customer_id).id
    seen = session.scalar(select(Redemption).where(Redemption.customer_id == customer_id,
                                                   Redemption.idempotency_key == key))
    if seen is not None:
        return seen, False
    reward = session.get(Reward, reward_id)
    if reward is None or reward.kind != "coupon":
        raise NotFound(f"no coupon reward {reward_id}")
    row = Redemption(customer_id=customer_id, reward_id=reward.id, points=0, status="confirmed",
                     idempotency_key=key, code=new_code(), entry_ref=f"{GIFT_SOURCE}:{customer_id}:{key}",
                     created_at=now)
    session.add(row)
    session.flush()
    return row, True


@dataclass
class Checked:
    redemption: Redemption
    reward: Reward
    coupon: Coupon
    expires_at: dt.datetime
    outcome: Outcome
    use: CouponUse | None

    @property
    def valid(self) -> bool:
        return not self.outcome.problems


def _find(session: Session, code: str, *, lock: bool = False) -> tuple[Redemption, Reward]:
    stmt = select(Redemption).where(Redemption.code == code.strip().upper())
    redemption = session.scalar(stmt.with_for_update() if lock else stmt)
    reward = session.get(Reward, redemption.reward_id) if redemption is not None and redemption.reward_id else None
    if redemption is None or reward is None or reward.kind != "coupon":
        raise NotFound(f"no coupon code {code!r}")
    return redemption, reward


def check(session: Session, code: str, customer_id: int | None, cart: Cart, *, now: dt.datetime | None = None,
          lock: bool = False) -> Checked:
    """The code's coupon against this member and cart: every reason it would be refused, none when valid."""
    now = now or utcnow()
    redemption, reward = _find(session, code, lock=lock)
    coupon = parse(reward.details or {})
    outcome = evaluate(coupon, cart)
    use = session.scalar(select(CouponUse).where(CouponUse.redemption_id == redemption.id))
    until = expires_at(redemption, coupon)
    problems = []
    if customer_id is not None and profiles.live_customer(session, customer_id).id != redemption.customer_id:
        problems.append("the code belongs to another member")
    if redemption.status != "confirmed":
        problems.append(f"the redemption that issued the code is {redemption.status}")
    if use is not None:
        problems.append(f"the code was used by order {use.order_ref}")
    if now >= until:
        problems.append(f"the code expired on {until.date().isoformat()}")
    outcome.problems[:0] = problems
    return Checked(redemption, reward, coupon, until, outcome, use)


def consume(session: Session, code: str, customer_id: int, order_ref: str, cart: Cart, *,
            now: dt.datetime | None = None) -> tuple[CouponUse, bool]:
    """Use the code for an order, once: the same order again answers with the first use (idempotent);
    Conflict (409) when another order used it, it expired, it is not this member's, or the cart does not qualify."""
    now = now or utcnow()
    checked = check(session, code, customer_id, cart, now=now, lock=True)
    if checked.use is not None and checked.use.order_ref == order_ref:
        return checked.use, False
    if checked.outcome.problems:
        raise Conflict(f"coupon {code.strip().upper()} cannot be used: {'; '.join(checked.outcome.problems)}",
                       errors=[{"loc": ["body", "code"], "msg": p} for p in checked.outcome.problems])
    use = CouponUse(redemption_id=checked.redemption.id, customer_id=checked.redemption.customer_id,
                    order_ref=order_ref, discount_minor=checked.outcome.discount_minor, currency=cart.currency,
                    free_shipping=checked.outcome.free_shipping, at=now)
    try:
        with session.begin_nested():
            session.add(use)
    except IntegrityError:  # another order's checkout used it between our check and our insert
        first = session.scalar(select(CouponUse).where(CouponUse.redemption_id == checked.redemption.id))
        if first is not None and first.order_ref == order_ref:
            return first, False
        raise Conflict(f"coupon {code.strip().upper()} cannot be used: the code was used by another order") from None
    return use, True
