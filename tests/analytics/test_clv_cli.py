"""`guanxi analytics clv` on the shop's own orders: CDNOW_sample loaded as orders reproduces
the published BG/NBD and Gamma-Gamma parameters (Fader, Hardie & Lee 2005), on both backends."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from guanxi.analytics.cdnow import read_cdnow
from guanxi.cli import _register, app
from guanxi.customers.ingest import ingest_orders
from guanxi.customers.records import IdentityKey, LineIn, OrderIn, PersonIn
from guanxi.db import transaction
from tests.analytics.conftest import cdnow_file

PUBLISHED = {"bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4},
             "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44}}


def load_cdnow_orders(runtime, path) -> int:
    tz = ZoneInfo(runtime.settings.default_timezone)
    seen: Counter = Counter()
    batch, total = [], 0
    for row in read_cdnow(path):
        seen[(row.customer_id, row.date)] += 1
        placed = dt.datetime.combine(row.date, dt.time(12), tz)
        batch.append(OrderIn(
            source="cdnow", external_id=f"{row.customer_id}-{row.date:%Y%m%d}-{seen[(row.customer_id, row.date)]}",
            person=PersonIn([IdentityKey("external", "cdnow", row.customer_id)]), placed_at=placed,
            currency="USD", total_minor=row.amount_minor,
            lines=[LineIn(sku="CD", quantity=max(row.cds, 1), unit_price_minor=row.amount_minor // max(row.cds, 1))]))
        if len(batch) == 2000:
            total += _flush(runtime, batch)
    return total + _flush(runtime, batch)


def _flush(runtime, batch) -> int:
    with transaction(runtime.factory) as session:
        ingest_orders(session, runtime.cipher, batch)
    n = len(batch)
    batch.clear()
    return n


def test_clv_command_reproduces_published_cdnow_parameters(runtime):
    assert load_cdnow_orders(runtime, cdnow_file("CDNOW_sample.txt")) == 6919
    _register()
    reply = CliRunner().invoke(app, ["analytics", "clv", "--calibration-end", "1997-09-30",
                                     "--holdout-end", "1998-06-30", "--json"])
    assert reply.exit_code == 0, reply.output
    result = json.loads(reply.output.strip().splitlines()[-1])
    assert result["customers"] == 2357
    for model, params in PUBLISHED.items():
        for name, expected in params.items():
            assert result[model][name] == pytest.approx(expected, rel=0.01), (model, name)
    holdout = result["holdout"]
    assert holdout["actual"] > 0 and holdout["predicted"] == pytest.approx(holdout["actual"], rel=0.2)


def test_clv_command_explains_an_empty_shop(runtime):
    _register()
    reply = CliRunner().invoke(app, ["analytics", "clv", "--calibration-end", "1997-09-30", "--json"])
    assert reply.exit_code != 0
    assert "no paid orders" in str(reply.exception)
