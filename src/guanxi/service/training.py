"""The category classifier's storage: training data from closed tickets, one model a day, and the suggestion
a new ticket gets (naive Bayes when it beat the keyword rules on the held-out tickets, the rules otherwise)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from guanxi.db import utcnow
from guanxi.service import classifier, taxonomy
from guanxi.service.models import CategoryClassifier, Ticket, TicketMessage

MAX_EXAMPLES = 20000   # the newest closed tickets; older ones describe an older shop
_loaded: dict[tuple, classifier.Model] = {}   # the model in use, parsed once per (row id, trained_at)


def examples(session: Session, limit: int = MAX_EXAMPLES) -> list[tuple[int, str, str]]:
    """(ticket id, subject + the customer's first message, final category) of resolved and closed tickets.

    Only categories staff set or confirmed count: an unconfirmed one is the keyword rules' own guess,
    and learning it would only teach the model to copy the rules.
    """
    first = (select(TicketMessage.ticket_id, func.min(TicketMessage.id).label("mid"))
             .where(TicketMessage.direction == "in").group_by(TicketMessage.ticket_id).subquery())
    rows = session.execute(
        select(Ticket.id, Ticket.subject, TicketMessage.body, Ticket.category, Ticket.subcategory)
        .outerjoin(first, first.c.ticket_id == Ticket.id).outerjoin(TicketMessage, TicketMessage.id == first.c.mid)
        .where(Ticket.status.in_(("resolved", "closed")), Ticket.category_confirmed, Ticket.category.is_not(None),
               Ticket.subcategory.is_not(None))
        .order_by(Ticket.id.desc()).limit(limit))
    return [(tid, f"{subject}\n{body or ''}", f"{cat}.{sub}") for tid, subject, body, cat, sub in rows]


def retrain(session: Session, rules: Sequence[taxonomy.Rule], now: dt.datetime | None = None) -> CategoryClassifier:
    """Train on today's closed tickets; a second run the same day replaces the day's model (idempotent per day)."""
    now = now or utcnow()
    result = classifier.evaluate(examples(session), rules)
    fields = {"trained_at": now, "examples": result.examples, "held_out": result.held_out,
              "naive_bayes_accuracy": result.naive_bayes, "keyword_accuracy": result.keywords,
              "in_use": result.use_model, "model": result.model.to_json() if result.model else None}
    row = session.scalar(select(CategoryClassifier).where(CategoryClassifier.trained_on == now.date()))
    if row is None:
        row = CategoryClassifier(trained_on=now.date(), **fields)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            # Two workers on the same day: the other one's row stays, updated with this run's figures.
            row = session.scalar(select(CategoryClassifier).where(CategoryClassifier.trained_on == now.date()))
    for key, value in fields.items():
        setattr(row, key, value)
    session.flush()
    return row


def latest(session: Session) -> CategoryClassifier | None:
    return session.scalar(select(CategoryClassifier).order_by(CategoryClassifier.trained_on.desc()).limit(1))


def _model_of(row: CategoryClassifier) -> classifier.Model:
    # Retraining updates the day's row in place, so the training time is part of the key.
    key = (row.id, row.trained_at)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = classifier.Model.from_json(row.model)
    return _loaded[key]


def suggest(session: Session, rules: Sequence[taxonomy.Rule], text: str) -> taxonomy.Suggestion | None:
    """The trained model's guess when the latest one is in use and knows a word of the text; else the rules'."""
    row = latest(session)
    if row is not None and row.in_use and row.model:
        guess = classifier.predict(_model_of(row), text)
        active = {f"{r.category}.{r.code}" for r in rules}
        if guess and guess[0] in active:   # a subcategory the shop has since switched off is not suggested
            category, _, sub = guess[0].partition(".")
            return taxonomy.Suggestion(category, sub, guess[1], ())
    return taxonomy.suggest(text, rules)
