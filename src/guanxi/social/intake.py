"""What happens to a batch of mentions once stored: points for reviewing an order (loyalty), a ticket for each
refund demand, counterfeit accusation or complaint (service)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from guanxi.privacy.crypto import PiiCipher
from guanxi.social import crisis_store, reviews
from guanxi.social.ingest import Ingested, MentionIn, ingest
from guanxi.social.settings import SocialSettings


@dataclass
class TakenIn:
    ingested: Ingested
    tickets: list[int] = field(default_factory=list)


def take_in(session: Session, cipher: PiiCipher, items: list[MentionIn], social: SocialSettings, *,
            now: dt.datetime | None = None) -> TakenIn:
    done = ingest(session, cipher, items, now=now,
                  on_review=lambda s, m: reviews.award_points(s, m, social.review_points))
    return TakenIn(done, crisis_store.complaint_tickets(session, done.created, now=now))
