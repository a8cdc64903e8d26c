"""The churn model's service and engagement features as read from the two domains (SQLite and
PostgreSQL): per customer, as of the end of a shop day, nothing after it; and the recompute and the
`guanxi analytics churn` command using them."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from typer.testing import CliRunner

from guanxi.analytics.models import ScoreRun
from guanxi.analytics.recompute import recompute
from guanxi.cli import _register, app
from guanxi.customers import analytics_feed as feed
from guanxi.customers import profiles
from guanxi.customers.models import CustomerEvent, Order
from guanxi.db import transaction
from guanxi.service import reports
from guanxi.service.models import Survey, Ticket
from tests.analytics.shop import AS_OF, person, seed_shop

TZ = ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TZ).astimezone(dt.UTC)


def _people(runtime, n: int) -> list[int]:
    with transaction(runtime.factory) as session:
        return [profiles.upsert_customer(session, runtime.cipher, person(900 + i))[0] for i in range(n)]


def _ticket(cid: int, at: dt.datetime, *, order_id: int | None = None, source: str = "api") -> Ticket:
    return Ticket(customer_id=cid, subject="?", created_at=at, updated_at=at, source=source, order_id=order_id)


def _survey(cid: int, score: int, at: dt.datetime, kind: str = "csat") -> Survey:
    return Survey(kind=kind, customer_id=cid, token_hash=uuid.uuid4().hex, sent_at=at,
                  expires_at=at + dt.timedelta(days=7), answered_at=at, score=score)


def _service(runtime, ids: list[int], as_of: dt.date) -> dict[str, list]:
    with runtime.factory() as session:
        got = reports.customer_service_features(session, np.array(ids), as_of=as_of, timezone="Asia/Shanghai")
    return {k: [None if np.isnan(x) else float(x) for x in v] for k, v in got.items()}


def test_service_features_per_customer_as_of_a_day(runtime):
    ids = seed_shop(runtime, customers=4)
    a, b, c = _people(runtime, 3)
    with runtime.factory() as session:
        order = session.scalars(select(Order.id).limit(1)).one()
    with transaction(runtime.factory) as session:
        session.add_all([
            _ticket(a, _at(AS_OF - dt.timedelta(days=10))),
            _ticket(a, _at(AS_OF - dt.timedelta(days=89)), order_id=order),   # a complaint
            _ticket(a, _at(AS_OF - dt.timedelta(days=90))),          # 91st day back: outside the 90 days
            _ticket(a, _at(AS_OF, 23)),                              # the last hour of the day counts
            _ticket(b, _at(AS_OF - dt.timedelta(days=3)), order_id=order, source="survey"),  # a survey follow-up
            _ticket(b, _at(AS_OF + dt.timedelta(days=1), 0)),        # after the day: not read
            _survey(a, 2, _at(AS_OF - dt.timedelta(days=200))), _survey(a, 5, _at(AS_OF - dt.timedelta(days=5))),
            _survey(a, 1, _at(AS_OF + dt.timedelta(days=1), 1)),     # answered after the day: not read
            _survey(b, 9, _at(AS_OF - dt.timedelta(days=5)), kind="nps"),
        ])
    got = _service(runtime, [c, b, a, ids[0]], AS_OF)
    assert got == {"tickets_90d": [0, 1, 3, 0], "complaints_90d": [0, 0, 1, 0], "last_csat": [None, None, 5, None]}
    # a day later the 89-day-old ticket (the complaint) drops out; a day earlier the others are all still in
    assert _service(runtime, [a], AS_OF + dt.timedelta(days=1))["tickets_90d"] == [2]
    assert _service(runtime, [a], AS_OF - dt.timedelta(days=1)) == {"tickets_90d": [3], "complaints_90d": [1],
                                                                    "last_csat": [5]}
    assert _service(runtime, [], AS_OF) == {"tickets_90d": [], "complaints_90d": [], "last_csat": []}


def test_engagement_counts_per_customer_as_of_a_day(runtime):
    a, b, c = _people(runtime, 3)
    events = [(a, "page_view", 1), (a, "product_view", 29), (a, "page_view", 31), (a, "add_to_cart", 5),
              (a, "checkout_started", 80), (a, "search", 2), (a, "custom", 2), (a, "page_view", 90),
              (b, "add_to_cart", 0), (b, "page_view", -1)]                    # -1: the day after: not read
    with transaction(runtime.factory) as session:
        session.add_all([CustomerEvent(customer_id=cid, kind=kind, occurred_at=_at(AS_OF - dt.timedelta(days=back)),
                                       source="site", properties={}) for cid, kind, back in events])
    with runtime.factory() as session:
        got = feed.engagement_counts(session, np.array([b, c, a]), as_of=AS_OF, timezone="Asia/Shanghai")
        later = feed.engagement_counts(session, np.array([b]), as_of=AS_OF + dt.timedelta(days=1),
                                       timezone="Asia/Shanghai")
    assert {k: v.tolist() for k, v in got.items()} == {
        "views_30d": [0, 0, 2], "views_90d": [0, 0, 3], "carts_30d": [1, 0, 1], "carts_90d": [1, 0, 2],
        "events_90d": [1, 0, 6]}   # custom events and the 90th day back left out
    assert later["views_30d"].tolist() == [1] and later["carts_30d"].tolist() == [1]


def test_recompute_feeds_service_and_engagement_features_to_the_churn_check(runtime):
    ids = seed_shop(runtime, customers=160)
    with transaction(runtime.factory) as session:
        session.add_all([CustomerEvent(customer_id=ids[n], kind="page_view", source="site", properties={},
                                       occurred_at=_at(AS_OF - dt.timedelta(days=n % 120))) for n in range(0, 160, 3)])
    with transaction(runtime.factory) as session:
        result = recompute(session, runtime.settings, as_of=AS_OF, now=_at(AS_OF, 23))
    with runtime.factory() as session:
        stored = session.scalars(select(ScoreRun.summary)).one()["churn"]
    churn = result["churn"]
    assert "reason" not in churn, churn
    assert churn["features"][-8:] == ["tickets_90d", "complaints_90d", "last_csat", "views_30d", "views_90d",
                                      "carts_30d", "carts_90d", "events_90d"]
    assert set(churn["auc"]) == {"p_alive", "expected_purchases", "gradient_boosting"}
    assert stored["auc"] == churn["auc"] and "risk" not in stored
    # the command reads the same features: the same duel, the same figures
    _register()
    reply = CliRunner().invoke(app, ["analytics", "churn", "--as-of", AS_OF.isoformat(), "--json"])
    assert reply.exit_code == 0, reply.output
    check = json.loads(reply.output.strip().splitlines()[-1])
    assert check["auc"] == churn["auc"] and check["features"] == churn["features"]
