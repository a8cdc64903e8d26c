"""The demo shop: realistic on the values, and `guanxi demo --if-empty` adds a shop only once."""

from __future__ import annotations

import collections
import datetime as dt

import phonenumbers
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from guanxi.customers import demo, demo_data as data, normalise
from guanxi.customers.models import Consent, Customer, CustomerEvent, Identity, Order, OrderLine, Refund

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def shop():
    return demo.generate(1500, seed=5, now=NOW)


def test_profiles_are_bilingual_and_valid(shop):
    people = shop.people
    chinese = [p for p in people if not p.english]
    assert 0.75 < len(chinese) / len(people) < 0.95
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p.phone)) for p in people if p.phone)
    assert all(p.phone.startswith("+861") for p in people if p.phone)
    assert all(normalise.email(p.email) == p.email for p in people if p.email)
    birthdays = [p.birthday for p in people if p.birthday]
    assert all(normalise.birthday(b) == b for b in birthdays)
    assert any(b.startswith("--") for b in birthdays)      # month and day only
    assert any(b.endswith("02-29") for b in birthdays)      # leap-day birthdays, with and without a year
    assert {p.channel for p in people} == {"site", "wechat", "douyin", "shopify"}
    assert len({p.city for p in people}) > 10


def test_orders_have_seasons_refunds_and_all_categories(shop):
    assert {line.category.split("/")[0] for o in shop.orders for line in o.lines} == {
        "apparel", "beauty", "electronics", "food"}
    placed = [o.placed_at for o in shop.orders]
    assert max(placed) <= NOW and min(placed) >= NOW - dt.timedelta(days=demo.HISTORY_DAYS + 1)
    assert (NOW - min(placed)).days > 2 * 365
    days = collections.Counter(p.astimezone(demo.SHOP_TZ).date() for p in placed)
    by_date = collections.Counter({(d.month, d.day): 0 for d in days})
    for d, n in days.items():
        by_date[(d.month, d.day)] += n
    average = len(placed) / len(by_date)
    assert by_date[(11, 11)] > 4 * average and by_date[(6, 18)] > 2.5 * average
    festival = [data.SPRING_FESTIVAL[y] for y in (2025, 2026)]
    before = sum(days[f - dt.timedelta(days=k)] for f in festival for k in range(5, 20)) / 15
    during = sum(days[f + dt.timedelta(days=k)] for f in festival for k in range(0, 6)) / 6
    assert before > 3 * during  # new-year shopping, then couriers stop for the holiday
    statuses = collections.Counter(o.status for o in shop.orders)
    assert statuses["paid"] > 0.85 * len(shop.orders) and statuses["cancelled"]
    assert 0.03 < len(shop.refunds) / len(shop.orders) < 0.1
    assert all(o.total_minor == sum(l.quantity * l.unit_price_minor for l in o.lines) - o.discount_minor
               + o.shipping_minor for o in shop.orders)
    assert {e["kind"] for e in shop.events} >= {"sign_up", "live_watch", "share", "review", "add_to_cart"}


def test_planted_duplicates_are_known_and_realistic(shop):
    assert len(shop.duplicates) == round(1500 * 0.06)
    kinds = collections.Counter()
    for a, b in shop.duplicates:
        x, y = shop.people[a], shop.people[b]
        dup, original = (x, y) if x.duplicate_of == b else (y, x)
        assert dup.duplicate_of == original.index and dup.channel != original.channel
        assert not {i for i in dup.identities} & {i for i in original.identities}  # ingest alone cannot join them
        kinds[dup.variant.split("; ")[0]] += 1
        kinds[dup.variant.split("; ")[1]] += 1
    assert {"Traditional name", "name typo", "phone typo", "e-mail variant", "same address"} <= set(kinds)


def test_same_seed_same_shop():
    a, b = demo.generate(200, seed=9, now=NOW), demo.generate(200, seed=9, now=NOW)
    assert [(p.name, p.phone, p.email) for p in a.people] == [(p.name, p.phone, p.email) for p in b.people]
    assert [(o.external_id, o.total_minor) for o in a.orders] == [(o.external_id, o.total_minor) for o in b.orders]


COUNTED = [Customer, Identity, Order, OrderLine, Refund, CustomerEvent, Consent]


def counts(runtime) -> dict:
    with runtime.factory() as session:
        return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_demo_command_if_empty_adds_a_shop_once(runtime):
    from guanxi.cli import _register, app

    _register()
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--customers", "120", "--seed", "3", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "120 new customers" in first.output and "planted duplicate pairs" in first.output
    after_first = counts(runtime)
    assert after_first["customers"] == 120 and after_first["orders"] > 120 and after_first["refunds"]

    second = runner.invoke(app, ["demo", "--customers", "120", "--seed", "3", "--if-empty"])
    assert second.exit_code == 0 and "no demo shop added" in second.output
    assert counts(runtime) == after_first
    # Without --if-empty the same seed is the same shop: loading it again changes nothing either.
    third = runner.invoke(app, ["demo", "--customers", "120", "--seed", "3"])
    assert third.exit_code == 0 and "0 new customers" in third.output
    assert counts(runtime) == after_first

    listed = runner.invoke(app, ["dedup", "--dry-run"])
    assert listed.exit_code == 0 and "dry run" in listed.output
    with runtime.factory() as session:
        names = [runtime.cipher.decrypt(n, context="name") for n in session.scalars(select(Customer.name_enc))]
    assert not any(name in listed.output for name in names if len(name) > 1)  # masked
