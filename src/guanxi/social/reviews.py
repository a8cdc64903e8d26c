"""Reviews and comments put to work: moderation that removes only abuse and illegal content (never a review
for being negative), points for reviewing an order whatever the rating, and the public showcase."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy import audit
from guanxi.privacy.crypto import PiiCipher
from guanxi.social.models import Mention
from guanxi.staff.roles import Actor

# The only grounds for removing a mention. "negative", "bad rating" or "competitor" are not among them on purpose:
# hiding honest criticism misleads buyers (and is unlawful for reviews in China).
REMOVAL_REASONS = ("abuse", "illegal", "privacy", "spam")
FLAG_STATES = ("cleared", "confirmed")
MAX_REPLY = 2000   # replies (replies.py)
_ABUSE = re.compile(r"傻逼|傻b|煞笔|操你|草泥马|去死|滚蛋|脑残|\bfuck\w*|\bidiot\b|\bmoron\b|\bretard\w*|\bkill yourself\b",
                    re.I)
_PRIVATE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dXx](?!\d)|[\w.+-]+@[\w-]+\.[\w.]+")


@dataclass(frozen=True)
class Suggestion:
    reason: str
    why: str


def suggest_removal(text: str) -> Suggestion | None:
    """A hint for the moderator (insults, someone's phone number or ID); never applied automatically."""
    if m := _ABUSE.search(text):
        return Suggestion("abuse", m.group(0))
    if _PRIVATE.search(text):
        return Suggestion("privacy", "a phone number, ID number or e-mail address")
    return None


def get(session: Session, mention_id: int) -> Mention:
    m = session.get(Mention, mention_id)
    if m is None:
        raise NotFound(f"no mention {mention_id}")
    return m


def remove(session: Session, mention_id: int, reason: str, actor: Actor, note: str = "") -> Mention:
    if reason not in REMOVAL_REASONS:
        raise Invalid(f"a mention is removed only for {', '.join(REMOVAL_REASONS)} — never for being negative",
                      errors=[{"loc": ["body", "reason"], "msg": f"one of {', '.join(REMOVAL_REASONS)}"}])
    m = get(session, mention_id)
    m.status, m.removed_reason, m.removed_by = "removed", reason, actor.ref
    audit.record(session, "social_mention_removed", actor, subject_type="social_mention", subject_id=m.id,
                 reason=reason, note=note[:500], label=m.label)
    return m


def restore(session: Session, mention_id: int, actor: Actor) -> Mention:
    m = get(session, mention_id)
    m.status, m.removed_reason, m.removed_by = "visible", None, None
    audit.record(session, "social_mention_restored", actor, subject_type="social_mention", subject_id=m.id)
    return m


def review_flag(session: Session, mention_id: int, state: str, actor: Actor, *,
                review_points: int | None = None) -> Mention:
    """A person's verdict on a fake-review signal: cleared (genuine) or confirmed (fake)."""
    if state not in FLAG_STATES:
        raise Invalid(f"state is one of {', '.join(FLAG_STATES)}")
    m = get(session, mention_id)
    if not m.flags:
        raise Conflict("this mention has no signal to review")
    m.flag_state = state
    audit.record(session, "social_flag_reviewed", actor, subject_type="social_mention", subject_id=m.id,
                 state=state, flags=m.flags)
    if review_points is not None and m.kind == "review" and m.points_entry_id is None:
        award_points(session, m, review_points)  # a review held by its signal earns once cleared
    return m


def set_showcase(session: Session, mention_id: int, allowed: bool, actor: Actor) -> Mention:
    """Record the author's permission (or its withdrawal) to show the review publicly."""
    m = get(session, mention_id)
    if m.kind != "review":
        raise Invalid("only reviews go on the showcase")
    m.showcase = allowed
    audit.record(session, "social_showcase_permission", actor, subject_type="social_mention", subject_id=m.id,
                 allowed=allowed)
    return m


def mask_name(name: str | None) -> str:
    """张小明 → 张**, alice → a***e; nothing → a stand-in."""
    if not name:
        return "***"
    name = name.strip()
    if len(name) <= 1:
        return name + "*"
    if any("\u4e00" <= ch <= "\u9fff" for ch in name):
        return name[0] + "*" * min(len(name) - 1, 3)
    return name[0] + "***" + (name[-1] if len(name) > 2 else "")


def showcase(session: Session, cipher: PiiCipher, *, sku: str | None = None, limit: int = 20) -> list[dict]:
    """Reviews shown publicly: the author allowed it, it is visible, not confirmed fake; names masked."""
    stmt = select(Mention).where(Mention.kind == "review", Mention.showcase.is_(True), Mention.status == "visible",
                                 Mention.flag_state != "confirmed")
    if sku:
        stmt = stmt.where(Mention.product_sku == sku)
    rows = session.scalars(stmt.order_by(Mention.posted_at.desc()).limit(limit)).all()
    return [{"id": m.id, "author": mask_name(cipher.decrypt(m.author_name_enc, context="social_author")),
             "text": m.text, "rating": m.rating, "product_sku": m.product_sku, "posted_at": m.posted_at,
             "reply": m.reply} for m in rows]


def moderated(mention: Mention) -> bool:
    """A review has passed moderation: visible, and any fake-review signal cleared by a person."""
    return mention.status == "visible" and (not mention.flags or mention.flag_state == "cleared")


def award_points(session: Session, mention: Mention, points: int) -> int | None:
    """Points for reviewing an order, once moderated — the same whatever the rating, once per order.

    Through loyalty's "review" event rule (limits, budget, explanation); `points` (the social
    settings' review_points) is that rule's default while the shop has defined none.
    """
    if mention.order_id is None or mention.customer_id is None or not moderated(mention):
        return None
    try:
        from guanxi.loyalty import events as loyalty_events
    except ImportError:  # the loyalty domain is not installed
        return None
    done = loyalty_events.record(
        session, mention.customer_id, "review", source="social-review", external_id=f"order:{mention.order_id}",
        # earned when it passes moderation: the rules in force now apply
        default_rules={"social.review": {"kind": "event", "event": "review", "points": points, "label": "Review"}})
    mention.points_entry_id = done.event.entry_id
    return done.event.entry_id


@dataclass(frozen=True)
class OrderReview:
    mention_id: int
    order_id: int
    product_sku: str | None
    negative: bool


def order_reviews(session: Session, order_ids: list[int]) -> list[OrderReview]:
    """The visible reviews of these orders (a review confirmed fake is left out), for the service desk's
    negative-review rates. A review without a product is about its whole order."""
    if not order_ids:
        return []
    rows = session.execute(select(Mention.id, Mention.order_id, Mention.product_sku, Mention.label).where(
        Mention.kind == "review", Mention.status == "visible", Mention.flag_state != "confirmed",
        Mention.order_id.in_(order_ids)).order_by(Mention.id)).all()
    return [OrderReview(mid, oid, sku, label == "negative") for mid, oid, sku, label in rows]
