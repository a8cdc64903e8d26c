"""The frequency cap holds across two campaigns whose messages two workers send at the same time."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from sqlalchemy import select

from guanxi.care.models import Campaign, OutboxMessage
from guanxi.db import transaction

from .test_outbox import drain, queue

NOON = dt.datetime(2026, 5, 1, 4, 0, tzinfo=dt.UTC)  # noon in Shanghai


def test_two_workers_two_campaigns_never_exceed_the_daily_cap(runtime, smtp, care_settings, person):
    care = care_settings.model_copy(update={"caps": "1/day", "batch_size": 1})
    with transaction(runtime.factory) as session:
        a = Campaign(name="birthday", created_by="t", channels=["email"])
        b = Campaign(name="double 11", created_by="t", channels=["email"])
        session.add_all([a, b])
        session.flush()
        campaigns = a.id, b.id
    people = [person() for _ in range(4)]
    for cid in people:
        for n, campaign in enumerate(campaigns):
            queue(runtime, cid, key=f"cap:{cid}:{campaign}", campaign_id=campaign, subject=f"c{n}")
    threads = [threading.Thread(target=drain, args=(runtime, care), kwargs={"now": NOON, "owner": o})
               for o in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with runtime.factory() as session:
        rows = list(session.scalars(select(OutboxMessage)))
    sent = Counter(m.customer_id for m in rows if m.status == "sent")
    assert all(n <= 1 for n in sent.values()), sent  # whatever the interleaving, never two on one day
    held = [m for m in rows if m.status != "sent"]
    assert all((m.status, m.reason) == ("queued", "frequency_cap") for m in held)  # held back, not lost
    assert len(smtp.messages) == sum(sent.values())
    # The next day (Shanghai) the held ones go, again one per customer at most.
    drain(runtime, care, now=NOON + dt.timedelta(days=1))
    with runtime.factory() as session:
        statuses = Counter(m.status for m in session.scalars(select(OutboxMessage)))
    assert statuses["sent"] >= len(people) and statuses["sent"] + statuses["queued"] == 2 * len(people)
