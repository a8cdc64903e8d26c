"""The mood of the customer's recent messages, beside the reply box.

Each customer message was scored once when it arrived (`threads.receive`, through the social
domain's `sentiment.score`); this only reads those scores. The overall label is the social
domain's own `label_of` of the mean, so the inbox and social listening agree on what "negative" is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from guanxi.conversations.models import ConversationMessage
from guanxi.social import sentiment

RECENT = 5


@dataclass(frozen=True)
class Mood:
    label: str                          # positive | neutral | negative
    score: float                        # mean of the recent scores, −1 … 1
    items: list[tuple[int, str, float]]  # (message id, label, score), newest first


def recent(session: Session, conversation_id: int, limit: int = RECENT) -> Mood | None:
    """None when the customer has written nothing scored yet."""
    M = ConversationMessage
    rows = session.execute(select(M.id, M.sentiment_label, M.sentiment_score).where(
        M.conversation_id == conversation_id, M.direction == "in", M.sentiment_score.is_not(None))
        .order_by(M.id.desc()).limit(limit)).all()
    if not rows:
        return None
    mean = sum(r.sentiment_score for r in rows) / len(rows)
    return Mood(sentiment.label_of(mean), round(mean, 2), [(r.id, r.sentiment_label, r.sentiment_score) for r in rows])
