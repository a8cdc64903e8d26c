"""`guanxi loyalty verify|expire|evaluate-tiers|credit` in real subprocesses."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import update

from guanxi.db import transaction
from guanxi.loyalty.models import PointBalance
from tests.foundation.subprocesses import GUANXI, last_line, subprocess_env
from tests.loyalty.test_points_api import post_order


def guanxi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(GUANXI), "loyalty", *args], capture_output=True, text=True, env=subprocess_env(),
                          timeout=120)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_credit_verify_expire_and_evaluate_from_the_command_line(client, auth, runtime):
    cid = post_order(client, auth("admin"), "9001")["customer_id"]
    r = guanxi("credit", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(last_line(r.stdout))["orders_credited"] == 1
    r = guanxi("verify", "--json")
    assert r.returncode == 0 and json.loads(last_line(r.stdout)) == {"ok": True, "differences": []}

    with transaction(runtime.factory) as session:  # a cache that drifted from its entries is reported
        session.execute(update(PointBalance).where(PointBalance.customer_id == cid).values(pending=1))
    r = guanxi("verify")
    assert r.returncode == 1 and f"customer {cid}" in r.stdout

    r = guanxi("expire", "--json")
    assert r.returncode == 0 and json.loads(last_line(r.stdout)) == {"lots_expired": 0, "points_expired": 0}
    r = guanxi("evaluate-tiers")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_verify_also_checks_store_credit_wallets(client, auth, runtime):
    from guanxi.loyalty import wallet
    from guanxi.loyalty.models import Wallet
    from guanxi.staff.roles import SYSTEM

    cid = post_order(client, auth("admin"), "9101")["customer_id"]
    with transaction(runtime.factory) as session:
        wallet.credit(session, cid, 1500, "CNY", "seed", source="test", actor=SYSTEM.ref)
    assert guanxi("verify").returncode == 0
    with transaction(runtime.factory) as session:
        session.execute(update(Wallet).where(Wallet.customer_id == cid).values(balance_minor=1))
    r = guanxi("verify", "--json")
    assert r.returncode == 1
    assert json.loads(last_line(r.stdout))["differences"] == [
        {"customer_id": cid, "wallet": "CNY", "cached": 1, "rebuilt": 1500}]
