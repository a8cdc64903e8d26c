"""Partners' repeated and simultaneous deliveries, with real parallel connections (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from guanxi.loyalty import store
from guanxi.loyalty.models import PointLot
from tests.loyalty.test_partners_api import EMAIL, available, bearer, earn, make_member, make_partner


def at_once(n: int, call) -> list[int]:
    barrier = threading.Barrier(n)

    def run(i: int) -> int:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(run, range(n)))


def test_the_same_earning_posted_eight_times_at_once_credits_once(client, auth, runtime):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    cid = make_member(client, h)
    codes = at_once(8, lambda i: earn(client, token, "rcpt-1", {"email": EMAIL}, amount=50_000).status_code)
    assert codes == [200] * 7 + [201]
    assert available(client, h, cid) == 500
    with runtime.factory() as session:
        assert session.query(PointLot).count() == 1 and store.verify(session) == []


def test_one_external_id_for_two_members_at_once_is_one_earning_and_one_conflict(client, auth, runtime):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    make_member(client, h)
    make_member(client, h, email="wang.fang@example.com", phone="+8613912345678", name="王芳")
    members = [{"email": EMAIL}, {"email": "wang.fang@example.com"}]
    codes = at_once(2, lambda i: earn(client, token, "rcpt-1", members[i]).status_code)
    assert codes == [201, 409]
    with runtime.factory() as session:
        assert session.query(PointLot).count() == 1 and store.verify(session) == []


def test_a_voucher_used_at_eight_tills_at_once_is_used_once(client, auth):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    cid = make_member(client, h)
    earn(client, token, "r1", {"email": EMAIL}, amount=100_000)
    reward = client.post("/api/v1/loyalty/rewards", headers=h, json={
        "name": "拿铁券", "kind": "voucher", "points_cost": 250, "details": {"partner": "CAFE"}}).json()
    code = client.post(f"/api/v1/customers/{cid}/points/redemptions", headers=h,
                       json={"reward_id": reward["id"], "idempotency_key": "v1"}).json()["code"]
    codes = at_once(8, lambda i: client.post(f"/api/v1/partner/vouchers/{code}/uses", json={"ref": f"till-{i}"},
                                             headers=bearer(token)).status_code)
    assert codes == [201] + [409] * 7
