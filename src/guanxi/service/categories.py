"""The shop's editable complaint taxonomy (seeded from taxonomy.DEFAULT_RULES) and suggestion accuracy."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.errors import Invalid
from guanxi.service import taxonomy
from guanxi.service.models import Ticket, TicketCategory


def ensure_defaults(session: Session) -> None:
    """Seed the default taxonomy once; afterwards the shop's edits rule."""
    if session.scalar(select(TicketCategory.id).limit(1)) is None:
        for r in taxonomy.DEFAULT_RULES:
            session.add(TicketCategory(category=r.category, code=r.code, name_en=r.name_en, name_zh=r.name_zh,
                                       keywords=list(r.keywords), active=True))
        session.flush()


def rules(session: Session) -> list[taxonomy.Rule]:
    ensure_defaults(session)
    rows = session.scalars(select(TicketCategory).where(TicketCategory.active).order_by(TicketCategory.id))
    return [taxonomy.Rule(c.category, c.code, c.name_en, c.name_zh, tuple(c.keywords or ())) for c in rows]


def all_categories(session: Session) -> list[TicketCategory]:
    ensure_defaults(session)
    return list(session.scalars(select(TicketCategory).order_by(TicketCategory.category, TicketCategory.id)))


def suggest(rules: Sequence[taxonomy.Rule], text: str) -> taxonomy.Suggestion | None:
    return taxonomy.suggest(text, rules)


def check(rules: Sequence[taxonomy.Rule], category: str | None, subcategory: str | None) -> None:
    if category is None and subcategory is None:
        return
    if not any(r.category == category and r.code == subcategory for r in rules):
        raise Invalid(f"unknown category {category}.{subcategory}")


def save(session: Session, category: str, code: str, *, name_en: str, name_zh: str, keywords: list[str],
         active: bool = True) -> TicketCategory:
    """Add or edit a subcategory (the top-level categories are fixed)."""
    if category not in taxonomy.CATEGORIES:
        raise Invalid(f"category is one of {', '.join(taxonomy.CATEGORIES)}")
    if not code or len(code) > 40 or not code.replace("_", "").isalnum():
        raise Invalid("a subcategory code is 1 to 40 letters, digits or _")
    ensure_defaults(session)
    row = session.scalar(select(TicketCategory).where(TicketCategory.category == category, TicketCategory.code == code))
    if row is None:
        row = TicketCategory(category=category, code=code)
        session.add(row)
    row.name_en, row.name_zh, row.active = name_en[:100], name_zh[:100], active
    row.keywords = [k.strip() for k in keywords if k.strip()][:200]
    session.flush()
    return row


def accuracy(session: Session) -> taxonomy.Accuracy:
    """How often the suggestion matched the category staff confirmed."""
    rows = session.execute(select(Ticket.suggested, Ticket.category, Ticket.subcategory)
                           .where(Ticket.category_confirmed, Ticket.suggested.is_not(None)))
    return taxonomy.accuracy((s, f"{c}.{sub}" if c else None) for s, c, sub in rows)
