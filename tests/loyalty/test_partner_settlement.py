"""A partner's monthly settlement with figures worked out by hand, around the month's edges in the
shop's time zone (Asia/Shanghai, UTC+8), as JSON, CSV and `guanxi loyalty settle`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess

import pytest

from guanxi.db import transaction
from guanxi.loyalty import partners, points
from guanxi.loyalty.catalogue import add_reward
from tests.foundation.subprocesses import GUANXI, subprocess_env
from tests.loyalty.test_partners_api import EMAIL, make_member, make_partner

Z = dt.UTC


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=Z)


# CAFE: 1 point per 100 fen; settled at 3 fen per 4 points. GYM: its own points, 2 of ours per 1 of theirs.
EARNINGS = [  # (partner, external id, amount, when in UTC)
    ("CAFE", "e1", 50_000, at(2026, 10, 31, 15, 59, 59)),   # 23:59:59 on 31 October in Shanghai: October
    ("CAFE", "e2", 12_345, at(2026, 10, 31, 16, 0, 0)),     # 00:00 on 1 November in Shanghai: November, 123 pts
    ("CAFE", "e3", 99_999, at(2026, 11, 15, 4, 0, 0)),      # 999 pts
    ("CAFE", "e4", 20_050, at(2026, 11, 30, 15, 59, 59)),   # 23:59:59 on 30 November: November, 200 pts
    ("CAFE", "e5", 70_000, at(2026, 11, 30, 16, 0, 0)),     # 1 December in Shanghai
    ("GYM", "e1", 40, at(2026, 11, 10, 2, 0, 0)),           # another partner's: not on CAFE's statement
]
VOUCHERS = [  # (idempotency key, redeemed at, used at)
    ("v1", at(2026, 11, 16, 2, 0), at(2026, 11, 20, 2, 0)),            # used in November
    ("v2", at(2026, 11, 16, 2, 0), at(2026, 11, 30, 16, 0)),           # used on 1 December in Shanghai
    ("v3", at(2026, 10, 31, 16, 0), at(2026, 10, 31, 16, 0)),          # used at 00:00 on 1 November
    ("v4", at(2026, 11, 16, 2, 0), None),                              # redeemed, never used
]
# November, CAFE: issued 123 + 999 + 200 = 1,322 points in 3 earnings, worth 1,322 × 3/4 = 991.5 → 992 fen;
# redeemed v1 + v3 = 2 × 250 = 500 points, worth 375 fen; net 992 − 375 = 617 fen owed by CAFE.
NOVEMBER = {"issued": {"points": 1322, "count": 3, "value_minor": 992},
            "redeemed": {"points": 500, "count": 2, "value_minor": 375}, "net_minor": 617}


@pytest.fixture
def month_of_business(client, auth, runtime):
    h = auth("admin")
    make_partner(client, h, "CAFE")
    make_partner(client, h, "GYM", unit="points", unit_currency=None, rate_units=1, rate_points=2)
    cid = make_member(client, h)
    with transaction(runtime.factory) as session:
        cafe, gym = partners.get_partner(session, "CAFE"), partners.get_partner(session, "GYM")
        customer = partners.find_member(session, runtime.cipher, email=EMAIL)
        reward = add_reward(session, name="拿铁券", kind="voucher", points_cost=250, details={"partner": "CAFE"})
        todo = sorted([(when, "earn", row) for *row, when in EARNINGS]
                      + [(redeemed, "redeem", key) for key, redeemed, _ in VOUCHERS]
                      + [(used, "use", key) for key, _, used in VOUCHERS if used], key=lambda t: (t[0], t[1]))
        codes = {}
        for when, what, row in todo:
            if what == "earn":
                code, ext, amount = row
                partner = cafe if code == "CAFE" else gym
                partners.earn(session, partner, customer, ext, units=amount,
                              currency="CNY" if code == "CAFE" else None, now=when)
            elif what == "redeem":
                codes[row] = points.redeem(session, cid, row, reward_id=reward.id, now=when).redemption.code
            else:
                partners.use_voucher(session, cafe, codes[row], ref=row, now=when)
    return h


def test_the_november_statement_matches_the_hand_worked_figures(client, month_of_business):
    r = client.get("/api/v1/loyalty/partners/CAFE/statements/2026-11", headers=month_of_business)
    assert r.status_code == 200, r.text
    s = r.json()
    assert {k: s[k] for k in NOVEMBER} == NOVEMBER
    assert (s["currency"], s["timezone"], s["value_per_point"]) == ("CNY", "Asia/Shanghai",
                                                                    {"value_minor": 3, "points": 4})
    assert (s["from"], s["to"]) == ("2026-10-31T16:00:00Z", "2026-11-30T16:00:00Z")
    october = client.get("/api/v1/loyalty/partners/CAFE/statements/2026-10", headers=month_of_business).json()
    assert (october["issued"]["points"], october["redeemed"]["points"], october["net_minor"]) == (500, 0, 375)
    december = client.get("/api/v1/loyalty/partners/CAFE/statements/2026-12", headers=month_of_business).json()
    assert (december["issued"]["points"], december["redeemed"]["points"]) == (700, 250)
    gym = client.get("/api/v1/loyalty/partners/GYM/statements/2026-11", headers=month_of_business).json()
    assert (gym["issued"]["points"], gym["redeemed"]["points"]) == (80, 0)     # 40 of theirs × 2


def test_the_statement_as_csv_lists_each_earn_and_use_then_the_totals(client, month_of_business):
    r = client.get("/api/v1/loyalty/partners/CAFE/statements/2026-11.csv", headers=month_of_business)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "settlement-CAFE-2026-11.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    detail = [(x["section"], x["at"], x["ref"], x["points"]) for x in rows if x["section"] in ("issued", "redeemed")]
    v3 = next(x["ref"] for x in rows if x["section"] == "redeemed" and x["at"].startswith("2026-11-01"))
    assert detail == [("issued", "2026-11-01T00:00:00+08:00", "e2", "123"),
                      ("redeemed", "2026-11-01T00:00:00+08:00", v3, "250"),
                      ("issued", "2026-11-15T12:00:00+08:00", "e3", "999"),
                      ("redeemed", "2026-11-20T10:00:00+08:00", detail[3][2], "250"),
                      ("issued", "2026-11-30T23:59:59+08:00", "e4", "200")]
    totals = {x["section"]: (x["points"], x["count"], x["value_minor"]) for x in rows if x["section"] not in
              ("issued", "redeemed")}
    assert totals == {"total_issued": ("1322", "3", "992"), "total_redeemed": ("500", "2", "375"),
                      "net": ("", "", "617")}


def test_a_partner_reads_its_own_statement_and_a_bad_month_is_refused(client, auth, runtime, month_of_business):
    with transaction(runtime.factory) as session:
        _, token = partners.rotate_token(session, "CAFE")
    h = {"Authorization": f"Bearer {token}"}
    s = client.get("/api/v1/partner/statements/2026-11", headers=h).json()
    assert {k: s[k] for k in NOVEMBER} == NOVEMBER
    assert client.get("/api/v1/partner/statements/2026-11.csv", headers=h).text.endswith("net,2026-11,CAFE,,,617,CNY\r\n")
    r = client.get("/api/v1/loyalty/partners/CAFE/statements/2026-13", headers=month_of_business)
    assert r.status_code == 422 and "YYYY-MM" in r.text
    assert client.get("/api/v1/loyalty/partners/NOPE/statements/2026-11", headers=month_of_business).status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_guanxi_loyalty_settle_prints_the_same_statement(month_of_business):
    def settle(*args):
        return subprocess.run([str(GUANXI), "loyalty", "settle", *args], capture_output=True, text=True,
                              env=subprocess_env(), timeout=120)

    r = settle("--partner", "CAFE", "--month", "2026-11", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert {k: s[k] for k in NOVEMBER} == NOVEMBER and s["from"] == "2026-10-31T16:00:00+00:00"
    r = settle("--partner", "CAFE", "--month", "2026-11")
    assert r.returncode == 0 and "net: 617 CNY" in r.stdout and "owed by the partner" in r.stdout
    r = settle("--partner", "CAFE", "--month", "2026-11", "--csv")
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "net,2026-11,CAFE,,,617,CNY"
    r = settle("--partner", "NOPE", "--month", "2026-11")
    assert r.returncode == 1 and "no partner 'NOPE'" in r.stderr
    r = settle("--partner", "CAFE", "--month", "November")
    assert r.returncode == 1 and "YYYY-MM" in r.stderr
