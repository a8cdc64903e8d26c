"""The store-credit wallet through the API, its ledger and verify, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from guanxi.customers import hooks, merging
from guanxi.customers.models import Customer
from guanxi.db import transaction
from guanxi.loyalty import reports, wallet
from guanxi.loyalty.models import Wallet, WalletEntry
from guanxi.privacy.models import AuditEntry
from guanxi.staff.roles import SYSTEM
from tests.loyalty.test_points_api import post_order


@pytest.fixture
def seed_member(runtime):
    """A new customer per call (hypothesis runs many examples on one database)."""
    def make() -> int:
        with transaction(runtime.factory) as session:
            row = Customer()
            session.add(row)
            session.flush()
            return row.id
    return make


def _member(client, auth, email="li.na@example.com") -> int:
    return post_order(client, auth("admin"), f"w-{email}", email=email)["customer_id"]


def _credit(client, h, cid, amount, key, currency="CNY", reason="late parcel"):
    return client.post(f"/api/v1/customers/{cid}/wallet/credits", headers=h,
                       json={"amount_minor": amount, "currency": currency, "reason": reason, "idempotency_key": key})


def _debit(client, h, cid, amount, key, order="SO-1", currency="CNY"):
    return client.post(f"/api/v1/customers/{cid}/wallet/debits", headers=h,
                       json={"amount_minor": amount, "currency": currency, "order_ref": order,
                             "idempotency_key": key})


def test_goodwill_credit_then_checkout_spend_then_409_when_insufficient(client, auth, runtime):
    h = auth("admin")
    cid = _member(client, auth)
    r = _credit(client, h, cid, 5000, "g1")
    assert r.status_code == 201, r.text
    assert r.json()["balance_minor"] == 5000 and r.json()["entry"]["kind"] == "credit"
    r = _debit(client, h, cid, 3000, "pay-1")
    assert (r.status_code, r.json()["balance_minor"], r.json()["entry"]["amount_minor"]) == (201, 2000, -3000)
    r = _debit(client, h, cid, 2001, "pay-2")
    assert r.status_code == 409 and "2000" in r.json()["detail"]
    w = client.get(f"/api/v1/customers/{cid}/wallet", headers=h).json()
    assert w["balances"] == [{"currency": "CNY", "balance_minor": 2000}]
    assert [e["kind"] for e in w["entries"]] == ["debit", "credit"]   # the refused debit left nothing behind
    with runtime.factory() as session:
        assert wallet.verify(session) == []


def test_replayed_keys_move_money_once_and_a_reused_key_for_another_amount_is_409(client, auth, runtime):
    h = auth("admin")
    cid = _member(client, auth)
    assert _credit(client, h, cid, 1000, "g1").status_code == 201
    again = _credit(client, h, cid, 1000, "g1")
    assert again.status_code == 200 and again.json()["balance_minor"] == 1000
    assert _debit(client, h, cid, 400, "pay-1").status_code == 201
    assert _debit(client, h, cid, 400, "pay-1").json()["balance_minor"] == 600
    clash = _debit(client, h, cid, 500, "pay-1")
    assert clash.status_code == 409 and "different movement" in clash.json()["detail"]
    with runtime.factory() as session:
        audited = session.scalars(select(AuditEntry).where(AuditEntry.kind == "store_credit_granted")).all()
        assert len(audited) == 1 and audited[0].details["amount_minor"] == 1000


def test_role_limits_bad_input_and_permissions(client, auth):
    cid = _member(client, auth)
    assert _credit(client, auth("service"), cid, 5000, "ok").status_code == 201
    over = _credit(client, auth("service"), cid, 5001, "over")
    assert over.status_code == 403 and "5000" in over.json()["detail"]
    assert _credit(client, auth("operations"), cid, 50_000, "ops").status_code == 201
    assert _credit(client, auth("analyst"), cid, 1, "no").status_code == 403
    assert _credit(client, auth("admin"), cid, 0, "zero").status_code == 422
    assert _credit(client, auth("admin"), cid, 10, "cur", currency="XXX").status_code == 422
    assert _credit(client, auth("admin"), cid, 10, "cur", currency="cny").status_code == 422
    assert _credit(client, auth("admin"), cid, 10, "blank", reason="  ").status_code == 422
    assert _credit(client, auth("admin"), 999_999, 10, "nobody").status_code == 404
    assert _debit(client, auth("admin"), cid, 10, "usd", currency="USD").status_code == 409  # no USD held


def test_currencies_are_separate_wallets(client, auth):
    h = auth("admin")
    cid = _member(client, auth)
    _credit(client, h, cid, 700, "cny")
    _credit(client, h, cid, 300, "usd", currency="USD")
    assert _debit(client, h, cid, 301, "too-much", currency="USD").status_code == 409
    w = client.get(f"/api/v1/customers/{cid}/wallet", headers=h).json()
    assert w["balances"] == [{"currency": "CNY", "balance_minor": 700}, {"currency": "USD", "balance_minor": 300}]


def test_a_reversal_gives_a_debit_back_once_and_a_spent_credit_cannot_be_reversed(client, auth):
    h = auth("admin")
    cid = _member(client, auth)
    credit_id = _credit(client, h, cid, 1000, "g1").json()["entry"]["id"]
    debit_id = _debit(client, h, cid, 800, "pay-1", order="SO-9").json()["entry"]["id"]
    url = f"/api/v1/customers/{cid}/wallet/entries/{{}}/reversal"
    spent = client.post(url.format(credit_id), json={"reason": "mistake"}, headers=h)
    assert spent.status_code == 409                     # only 200 left of the 1000
    back = client.post(url.format(debit_id), json={"reason": "order cancelled"}, headers=h)
    assert back.status_code == 201 and back.json()["balance_minor"] == 1000
    assert back.json()["entry"]["reverses_id"] == debit_id and back.json()["entry"]["order_ref"] == "SO-9"
    assert client.post(url.format(debit_id), json={"reason": "again"}, headers=h).json()["balance_minor"] == 1000
    rev_id = back.json()["entry"]["id"]
    assert client.post(url.format(rev_id), json={"reason": "undo"}, headers=h).status_code == 409
    assert client.post(url.format(123456), json={"reason": "x"}, headers=h).status_code == 404
    assert client.post(url.format(credit_id), json={"reason": "now covered"}, headers=h).json()["balance_minor"] == 0


def test_twenty_simultaneous_debits_against_ten_debits_worth_exactly_ten_succeed(client, auth, runtime):
    cid = _member(client, auth)
    with transaction(runtime.factory) as session:
        wallet.credit(session, cid, 1000, "CNY", "seed", source="test", actor=SYSTEM.ref)
    barrier = threading.Barrier(20)

    def spend(i: int) -> str:
        barrier.wait()
        try:
            with transaction(runtime.factory) as session:
                wallet.debit(session, cid, 100, "CNY", f"k{i}", order_ref=f"SO-{i}")
            return "ok"
        except wallet.InsufficientCredit:
            return "409"

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(spend, range(20)))
    assert outcomes.count("ok") == 10 and outcomes.count("409") == 10
    with runtime.factory() as session:
        assert wallet.balances(session, cid) == [{"currency": "CNY", "balance_minor": 0}]
        assert wallet.verify(session) == []


def test_verify_finds_a_tampered_cache_and_liability_sums_positive_wallets(client, auth, runtime):
    h = auth("admin")
    a, b = _member(client, auth), _member(client, auth, "wang.wei@example.com")
    _credit(client, h, a, 1200, "a")
    _credit(client, h, b, 300, "b")
    _debit(client, h, b, 300, "b-pay")
    with transaction(runtime.factory) as session:
        assert reports.store_credit(session) == [{"currency": "CNY", "members": 1, "outstanding_minor": 1200}]
        session.get(Wallet, (a, "CNY")).balance_minor = 99
    with runtime.factory() as session:
        assert wallet.verify(session) == [{"customer_id": a, "wallet": "CNY", "cached": 99, "rebuilt": 1200}]
    r = client.get("/api/v1/loyalty/reports", headers=h)
    assert r.json()["store_credit"] == [{"currency": "CNY", "members": 1, "outstanding_minor": 99}]


def test_a_merge_moves_store_credit_an_unmerge_moves_it_back_and_export_and_erasure_cover_it(client, auth, runtime):
    h = auth("admin")
    a, b = _member(client, auth), _member(client, auth, "wang.wei@example.com")
    _credit(client, h, a, 1000, "a")
    _credit(client, h, b, 700, "b", reason="sorry about the parcel")
    with transaction(runtime.factory) as session:
        merge_id = merging.merge(session, a, b, SYSTEM).id
    assert client.get(f"/api/v1/customers/{a}/wallet", headers=h).json()["balances"][0]["balance_minor"] == 1700
    with runtime.factory() as session:
        assert wallet.verify(session) == []
        exported = hooks.exporters["loyalty_wallet"](session, a)
        assert exported["balances"] == [{"currency": "CNY", "balance_minor": 1700}] and len(exported["entries"]) == 2
    with transaction(runtime.factory) as session:
        merging.unmerge(session, merge_id, SYSTEM)
    assert client.get(f"/api/v1/customers/{a}/wallet", headers=h).json()["balances"][0]["balance_minor"] == 1000
    assert client.get(f"/api/v1/customers/{b}/wallet", headers=h).json()["balances"][0]["balance_minor"] == 700
    with transaction(runtime.factory) as session:
        assert wallet.verify(session) == []
        hooks.erasers["loyalty_wallet"](session, b)
    entry = client.get(f"/api/v1/customers/{b}/wallet", headers=h).json()["entries"][0]
    assert entry["reason"] is None and entry["amount_minor"] == 700


wallet_ops = st.lists(st.one_of(
    st.tuples(st.just("credit"), st.integers(1, 5000)),
    st.tuples(st.just("debit"), st.integers(1, 5000)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("replay"), st.integers(0, 20))), min_size=1, max_size=15)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=wallet_ops)
def test_any_sequence_keeps_the_balance_equal_to_the_entries_and_never_below_zero(runtime, seed_member, ops):
    cid = seed_member()
    balance, done, reversed_ids = 0, [], set()   # the model: what the wallet must hold
    for n, (op, value) in enumerate(ops):
        with transaction(runtime.factory) as session:
            if op == "credit":
                wallet.credit(session, cid, value, "CNY", f"c{n}", source="test")
                balance += value
                done.append(("credit", value, f"c{n}"))
            elif op == "debit":
                try:
                    wallet.debit(session, cid, value, "CNY", f"d{n}", order_ref=f"SO-{n}")
                    balance -= value
                    done.append(("debit", value, f"d{n}"))
                except wallet.InsufficientCredit:
                    assert value > balance
            elif done:
                kind, amount, key = done[value % len(done)]
                if op == "replay":
                    move = wallet.credit if kind == "credit" else wallet.debit
                    assert move(session, cid, amount, "CNY", key, source="test" if kind == "credit" else "checkout"
                                ).created is False
                else:
                    entry = session.scalar(select(WalletEntry).where(WalletEntry.customer_id == cid,
                                                                     WalletEntry.ref == f"{cid}:{key}"))
                    change = -amount if kind == "credit" else amount
                    try:
                        wallet.reverse(session, cid, entry.id, reason="test")
                        if entry.id not in reversed_ids:
                            balance += change
                            reversed_ids.add(entry.id)
                    except wallet.InsufficientCredit:
                        assert entry.id not in reversed_ids and balance + change < 0
        with runtime.factory() as session:
            held = wallet.balances(session, cid)
            assert (held[0]["balance_minor"] if held else 0) == balance >= 0
    with runtime.factory() as session:
        assert [p for p in wallet.verify(session) if p["customer_id"] == cid] == []
