"""The KPIs read from loyalty, service and care, on a small shop whose figures are worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from guanxi.analytics import reports
from guanxi.care import campaigns
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.models import Recipient
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.db import transaction
from guanxi.loyalty import points, referral
from guanxi.service import surveys
from guanxi.service.settings import get_service_settings
from guanxi.staff.roles import SYSTEM

TZ = ZoneInfo("Asia/Shanghai")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))   # previous period: 2026-01-29 .. 2026-02-28
# customer -> (local day, amount) of their paid orders
ORDERS = {"a": [(dt.date(2026, 1, 10), 1000), (dt.date(2026, 3, 5), 2000)], "b": [(dt.date(2026, 3, 2), 3000)],
          "c": [(dt.date(2026, 3, 20), 4000)], "d": [(dt.date(2026, 2, 10), 5000)], "f": [(dt.date(2026, 3, 3), 6000)]}


def at(day: int, month: int = 3, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


def seed(runtime) -> dict[str, int]:
    orders = [OrderIn(source="shop", external_id=f"{who}-{i}", person=PersonIn([IdentityKey("external", "shop", who)]),
                      placed_at=dt.datetime.combine(day, dt.time(12), TZ), currency="CNY", total_minor=amount,
                      lines=[LineIn(sku="TEA", category="tea", quantity=1, unit_price_minor=amount)])
              for who, rows in ORDERS.items() for i, (day, amount) in enumerate(rows)]
    with transaction(runtime.factory) as session:
        results = ingest_orders(session, runtime.cipher, orders)
        ids = {o.person.identities[0].value: r.customer_id for o, r in zip(orders, results)}
    with transaction(runtime.factory) as session:
        code = referral.code_for(session, ids["a"])
        referral.attribute(session, ids["b"], code, now=at(1))          # new in March, referred
        referral.attribute(session, ids["d"], code, now=at(1, 2))       # new in the previous period, referred
        points.adjust(session, ids["a"], 500, "goodwill", "k0", SYSTEM, now=at(15, 2))
        points.adjust(session, ids["a"], 1000, "goodwill", "k1", SYSTEM, now=at(3))
        points.redeem(session, ids["a"], "r1", points=300, now=at(10))
        points.adjust(session, ids["a"], 50, "goodwill", "k2", SYSTEM, now=at(2, 4))   # after the period
        cfg = get_service_settings()
        for kind, score, day, month in (("csat", 5, 2, 3), ("csat", 3, 4, 3), ("csat", 4, 20, 2),
                                        ("nps", 10, 5, 3), ("nps", 9, 6, 3), ("nps", 3, 7, 3), ("nps", 8, 8, 3)):
            sent = surveys.send(session, cfg, kind, customer_id=ids["a"], now=at(day, month, 9))
            surveys.answer(session, cfg, sent.token, score, now=at(day, month, 10))
        held = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name="held out", channels=["email"], variants=[{"template": "t"}], audience={"customer_ids": [1]},
            control_percent=10, conversion_days=7))
        plain = campaigns.create_campaign(session, SYSTEM, CampaignSpec(
            name="no hold-out", channels=["email"], variants=[{"template": "t"}], audience={"customer_ids": [1]}))
        chosen = [(held, "a", False, at(1)), (held, "b", False, at(1)), (held, "c", False, at(1)),  # a, b buy
                  (held, "d", True, at(1)), (held, "f", True, at(1)),                             # f buys
                  (held, "d", False, at(15, 2)),                                                # previous period
                  (plain, "c", False, at(15))]                                                  # no hold-out
        session.add_all(Recipient(campaign_id=c.id, customer_id=ids[who], period=f"p{i}",
                                  variant="control" if control else "A", control=control, at=when)
                        for i, (c, who, control, when) in enumerate(chosen))
    return ids


def test_every_kpi_of_a_period_and_the_one_before(runtime):
    seed(runtime)
    runtime.settings.point_value_minor = 2.5
    with runtime.factory() as session:
        k = reports.kpi_report(session, runtime.settings, start=MARCH[0], end=MARCH[1])
    cur, prev = k["current"], k["previous"]
    assert (prev["start"], prev["end"]) == ("2026-01-29", "2026-02-28")
    assert (cur["active_customers"], cur["orders"], cur["revenue_minor"], cur["new_customers"]) == (4, 4, 15000, 3)
    assert cur["referred_new_customers"] == 1 and cur["referral_rate"] == 1 / 3           # b of b, c, f
    assert prev["new_customers"] == 1 and prev["referral_rate"] == 1.0                    # d
    assert (cur["points_earned"], cur["points_redeemed"], cur["redemption_rate"]) == (1000, 300, 0.3)
    assert (prev["points_earned"], prev["points_redeemed"], prev["redemption_rate"]) == (500, 0, 0.0)
    assert cur["points_outstanding"] == 1200 and cur["points_liability_minor"] == 3000   # 500 + 1000 - 300
    assert prev["points_outstanding"] == 500 and prev["points_liability_minor"] == 1250
    assert (cur["csat"], cur["csat_answers"], prev["csat"]) == (4.0, 2, 4.0)
    assert (cur["nps"], cur["nps_answers"], prev["nps"]) == (25.0, 4, None)              # (2 - 1) / 4
    up = cur["campaign_uplift"]
    assert (up["campaigns"], up["recipients"], up["converted"], up["control"], up["control_converted"]) == (1, 3, 2, 2, 1)
    assert abs(up["uplift"] - (2 / 3 - 1 / 2)) < 1e-12
    assert prev["campaign_uplift"]["recipients"] == 1 and prev["campaign_uplift"]["uplift"] is None


def test_the_kpi_api_carries_them(runtime, client, auth):
    seed(runtime)
    r = client.get("/api/v1/analytics/kpis", params={"from": "2026-03-01", "to": "2026-03-31"},
                   headers=auth("analyst"))
    assert r.status_code == 200, r.text
    cur = r.json()["current"]
    assert cur["points_liability_minor"] == 1200 and cur["redemption_rate"] == 0.3 and cur["nps"] == 25.0
