"""The programme's configuration: versioned earning rules, rewards and the tier ladder."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.customers import profiles
from guanxi.loyalty import coupons, earning, rules as rules_engine, tiers as tiers_engine
from guanxi.loyalty.models import EarningRule, Reward, Tier


def current_rules(session: Session) -> list[EarningRule]:
    """The latest version of every rule (active or not)."""
    latest = (select(EarningRule.name, func.max(EarningRule.version).label("v"))
              .group_by(EarningRule.name).subquery())
    return list(session.scalars(select(EarningRule).join(
        latest, (latest.c.name == EarningRule.name) & (latest.c.v == EarningRule.version)).order_by(EarningRule.name)))


def rule_versions(session: Session, name: str) -> list[EarningRule]:
    rows = list(session.scalars(select(EarningRule).where(EarningRule.name == name).order_by(EarningRule.version)))
    if not rows:
        raise NotFound(f"no rule {name!r}")
    return rows


def write_rule(session: Session, name: str, definition: dict, active: bool, author: str, *,
               create: bool) -> EarningRule:
    """A new version of rule `name` (the first when `create`); earlier versions stay for earlier orders."""
    rules_engine.validate(definition)
    if definition.get("kind") == "gift" and session.get(Reward, definition["reward_id"]) is None:
        raise Invalid(f"rule: reward_id: no reward {definition['reward_id']}",
                      errors=[{"loc": ["body", "definition", "reward_id"], "msg": "a reward of the catalogue"}])
    last = session.scalar(select(func.max(EarningRule.version)).where(EarningRule.name == name))
    if create and last is not None:
        raise Conflict(f"rule {name!r} exists; PUT a new version to change it")
    if not create and last is None:
        raise NotFound(f"no rule {name!r}")
    row = EarningRule(name=name, version=(last or 0) + 1, active=active, definition=definition,
                      created_at=utcnow(), created_by=author)
    session.add(row)
    session.flush()
    return row


def preview(session: Session, cart, *, drafts: dict[str, dict | None] | None = None,
            now: dt.datetime | None = None) -> rules_engine.Award:
    """What a cart (a PreviewCreate) would earn now under the rules in force; `drafts` replaces or adds
    rules by name (None leaves one out), so staff see what an edit would change before saving it."""
    now = now or utcnow()
    tz, tier = "UTC", None
    if cart.customer_id is not None:
        customer = profiles.live_customer(session, cart.customer_id)
        tz, tier = customer.timezone or "UTC", tiers_engine.tier_of(session, customer.id)
    facts = rules_engine.OrderFacts(placed_at=now, total_minor=cart.total_minor, shipping_minor=cart.shipping_minor,
                                    currency=cart.currency, channel=cart.channel,
                                    lines=tuple(rules_engine.LineFacts(l.sku, l.quantity, l.unit_price_minor,
                                                                       l.category) for l in cart.lines))
    in_force = dict(earning.rules_in_force(session, now))
    for name, definition in (drafts or {}).items():
        if definition is None:
            in_force.pop(name, None)
        else:
            in_force[name] = rules_engine.validate(definition)
    return rules_engine.evaluate(facts, rules_engine.MemberFacts(tz, tier), in_force)


def rewards(session: Session, *, active_only: bool = False) -> list[Reward]:
    stmt = select(Reward).order_by(Reward.points_cost, Reward.id)
    if active_only:
        stmt = stmt.where(Reward.active.is_(True))
    return list(session.scalars(stmt))


def add_reward(session: Session, **fields) -> Reward:
    if fields.get("kind") == "coupon":
        coupons.parse(fields.get("details") or {})  # what the coupon gives must be complete and sensible
    reward = Reward(**fields, created_at=utcnow())
    session.add(reward)
    session.flush()
    return reward


def update_reward(session: Session, reward_id: int, **fields) -> Reward:
    reward = session.get(Reward, reward_id)
    if reward is None:
        raise NotFound(f"no reward {reward_id}")
    if "details" in fields and fields["details"] is None:
        fields["details"] = {}   # null clears the details
    if reward.kind == "coupon" and "details" in fields:
        coupons.parse(fields["details"] or {})
    for key, value in fields.items():
        setattr(reward, key, value)
    session.flush()
    return reward


def tiers(session: Session) -> list[Tier]:
    return list(session.scalars(select(Tier).order_by(Tier.rank)))


def put_tier(session: Session, **fields) -> tuple[Tier, bool]:
    tier = session.scalar(select(Tier).where(Tier.code == fields["code"]))
    created = tier is None
    if created:
        tier = Tier(**fields)
        session.add(tier)
    else:
        for key, value in fields.items():
            setattr(tier, key, value)
    session.flush()
    return tier, created


def delete_tier(session: Session, code: str) -> None:
    tier = session.scalar(select(Tier).where(Tier.code == code))
    if tier is None:
        raise NotFound(f"no tier {code!r}")
    session.delete(tier)
    session.flush()
