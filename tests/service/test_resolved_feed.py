"""tickets.resolved_between: what care's ticket_resolved trigger reads."""

from __future__ import annotations

import datetime as dt

from guanxi.db import transaction
from guanxi.service import tickets

T = dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def test_resolved_between_known_customers_not_reopened(runtime, cfg, customer):
    cid, _, _ = customer()
    with transaction(runtime.factory) as session:
        made = [tickets.create(session, cfg, tickets.TicketIn(subject=f"t{i}", body="坏了", customer_id=who),
                               "customer", now=T - 5 * H)[0] for i, who in enumerate((cid, cid, None, cid))]
        for t in made[:3]:
            tickets.move(session, cfg, t, "resolved", "agent", now=T)
        tickets.move(session, cfg, made[1], "open", "agent", now=T + H)            # reopened
        ids = [t.id for t in made]
    with runtime.factory() as session:
        assert [(tid, who) for tid, who, _ in tickets.resolved_between(session, T - H, T + H)] == [(ids[0], cid)]
        assert tickets.resolved_between(session, T + H, T + 2 * H) == []
