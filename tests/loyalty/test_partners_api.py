"""Coalition partners through the API, on SQLite and PostgreSQL: tokens, earning, consent, vouchers."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from guanxi.db import transaction, utcnow
from guanxi.loyalty import store
from guanxi.loyalty.models import PointLot
from guanxi.loyalty.partner_models import MemberCode

EMAIL, PHONE = "li.na@example.com", "+8613800138000"


def make_partner(client, headers, code="CAFE", **extra):
    body = {"code": code, "name": f"{code} 咖啡", "unit": "currency", "unit_currency": "CNY", "rate_units": 100,
            "rate_points": 1, "value_minor": 3, "value_points": 4, "currency": "CNY", **extra}
    r = client.post("/api/v1/loyalty/partners", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def make_member(client, headers, *, email=EMAIL, phone=PHONE, name="李娜", sharing=None):
    r = client.post("/api/v1/customers", json={"email": email, "phone": phone, "name": name}, headers=headers)
    assert r.status_code in (200, 201), r.text
    cid = r.json()["id"]
    if sharing is not None:
        r = client.post(f"/api/v1/customers/{cid}/consents",
                        json={"channel": "any", "purpose": "sharing", "granted": sharing}, headers=headers)
        assert r.status_code == 201, r.text
    return cid


def earn(client, token, ext, member, amount=12_345, currency="CNY"):
    return client.post("/api/v1/partner/earnings", headers=bearer(token),
                       json={"external_id": ext, "member": member, "amount_minor": amount, "currency": currency})


def available(client, headers, cid):
    r = client.get(f"/api/v1/customers/{cid}/points", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["available"]


def test_a_partner_token_is_shown_once_and_only_opens_the_partner_api(client, auth):
    h = auth("operations")
    made = make_partner(client, h)
    token = made["token"]
    assert token.startswith("gxp_") and made["partner"]["code"] == "CAFE"
    listed = client.get("/api/v1/loyalty/partners", headers=h)
    assert listed.status_code == 200 and token not in listed.text and listed.json()[0]["code"] == "CAFE"
    me = client.get("/api/v1/partner", headers=bearer(token))
    assert me.status_code == 200 and me.json()["code"] == "CAFE"
    # scoped: the partner token is no staff token, a staff token is no partner token
    assert client.get("/api/v1/customers", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/loyalty/partners", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/partner", headers=h).status_code == 401
    assert client.get("/api/v1/partner").status_code == 401


def test_rotating_replaces_the_token_and_revoking_or_suspending_stops_it(client, auth):
    h = auth("admin")
    old = make_partner(client, h)["token"]
    r = client.post("/api/v1/loyalty/partners/CAFE/token", headers=h)
    assert r.status_code == 200, r.text
    new = r.json()["token"]
    assert new != old
    assert client.get("/api/v1/partner", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/partner", headers=bearer(new)).status_code == 200
    r = client.patch("/api/v1/loyalty/partners/CAFE", json={"status": "suspended"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    r = client.get("/api/v1/partner", headers=bearer(new))
    assert r.status_code == 403 and "suspended" in r.json()["detail"]
    client.patch("/api/v1/loyalty/partners/CAFE", json={"status": "active"}, headers=h)
    assert client.get("/api/v1/partner", headers=bearer(new)).status_code == 200
    r = client.delete("/api/v1/loyalty/partners/CAFE/token", headers=h)
    assert r.status_code == 200 and r.json()["token_issued_at"] is None
    assert client.get("/api/v1/partner", headers=bearer(new)).status_code == 401


def test_managing_partners_needs_loyalty_configure(client, auth):
    body = {"code": "X", "name": "X", "unit": "points", "rate_units": 1, "rate_points": 1, "value_minor": 1,
            "currency": "CNY"}
    assert client.post("/api/v1/loyalty/partners", json=body, headers=auth("analyst")).status_code == 403
    assert client.get("/api/v1/loyalty/partners", headers=auth("service")).status_code == 403


def test_bad_partner_settings_are_refused_with_the_field(client, auth):
    h = auth("admin")
    base = {"code": "CAFE", "name": "Cafe", "unit": "currency", "unit_currency": "CNY", "rate_units": 100,
            "rate_points": 1, "value_minor": 1, "currency": "CNY"}
    r = client.post("/api/v1/loyalty/partners", json={**base, "unit_currency": None}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "unit_currency"]
    r = client.post("/api/v1/loyalty/partners", json={**base, "rate_points": 0.5}, headers=h)
    assert r.status_code == 422                       # fractions as two integers, never a float
    r = client.post("/api/v1/loyalty/partners", json={**base, "code": "no spaces"}, headers=h)
    assert r.status_code == 422
    r = client.post("/api/v1/loyalty/partners", json={**base, "unit": "points"}, headers=h)
    assert r.status_code == 422 and "unit_currency" in r.text
    assert client.post("/api/v1/loyalty/partners", json=base, headers=h).status_code == 201
    r = client.post("/api/v1/loyalty/partners", json=base, headers=h)
    assert r.status_code == 409 and "exists" in r.json()["detail"]
    r = client.patch("/api/v1/loyalty/partners/CAFE", json={"rate_units": None}, headers=h)
    assert r.status_code == 422
    assert client.patch("/api/v1/loyalty/partners/NOPE", json={"name": "x"}, headers=h).status_code == 404


def test_partner_earn_is_a_lot_with_the_partners_source_once_per_external_id(client, auth, runtime):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    cid = make_member(client, h)
    r = earn(client, token, "rcpt-1", {"email": EMAIL}, amount=12_345)    # 123.45 yuan at 1 point per yuan
    assert r.status_code == 201, r.text
    assert r.json()["points"] == 123
    again = earn(client, token, "rcpt-1", {"email": EMAIL}, amount=12_345)
    assert again.status_code == 200 and again.json()["points"] == 123
    assert available(client, h, cid) == 123
    r = earn(client, token, "rcpt-2", {"phone": "138 0013 8000"}, amount=1_000)   # the phone as typed at a till
    assert r.status_code == 201 and r.json()["points"] == 10
    code = client.get(f"/api/v1/customers/{cid}/partner-code", headers=h).json()["code"]
    assert client.get(f"/api/v1/customers/{cid}/partner-code", headers=h).json()["code"] == code
    r = earn(client, token, "rcpt-3", {"code": code.lower()}, amount=500)
    assert r.status_code == 201 and r.json()["points"] == 5
    assert available(client, h, cid) == 138
    with runtime.factory() as session:
        lots = session.query(PointLot).filter(PointLot.customer_id == cid).order_by(PointLot.id).all()
        assert [(l.source, l.ref, l.points) for l in lots] == [
            ("partner:CAFE", "rcpt-1", 123), ("partner:CAFE", "rcpt-2", 10), ("partner:CAFE", "rcpt-3", 5)]
        assert store.verify(session) == []


def test_bad_partner_earnings_are_refused_and_write_nothing(client, auth, runtime):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    cid = make_member(client, h)
    assert earn(client, token, "r1", {"email": EMAIL}, amount=5000).status_code == 201
    r = earn(client, token, "r1", {"email": EMAIL}, amount=6000)         # same id, another purchase
    assert r.status_code == 409 and "r1" in r.json()["detail"]
    r = earn(client, token, "r2", {"email": EMAIL}, currency="USD")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "currency"]
    r = earn(client, token, "r3", {"email": EMAIL}, amount=99)           # less than one point's worth
    assert r.status_code == 422 and "100" in r.text
    r = earn(client, token, "r4", {"email": "nobody@example.com"})
    assert r.status_code == 404 and "member code" in r.json()["detail"]
    r = earn(client, token, "r5", {"email": EMAIL, "phone": PHONE})
    assert r.status_code == 422
    r = client.post("/api/v1/partner/earnings", headers=bearer(token),
                    json={"external_id": "r6", "member": {"email": EMAIL}, "amount_minor": "12abc", "currency": "CNY"})
    assert r.status_code == 422
    r = client.post("/api/v1/partner/earnings", headers=bearer(token),
                    json={"external_id": "r7", "member": {"email": EMAIL}, "partner_points": 5})
    assert r.status_code == 422 and "currency" in r.text               # this partner posts yuan, not points
    assert available(client, h, cid) == 50
    with runtime.factory() as session:
        assert session.query(PointLot).count() == 1


def test_a_partner_without_sharing_consent_learns_nothing_personal(client, auth):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    make_member(client, h)                                                # no consent given
    r = earn(client, token, "r1", {"email": EMAIL})
    assert r.status_code == 201
    member = r.json()["member"]
    assert member["sharing"] is False
    assert (member["name"], member["tier"], member["available_points"]) == (None, None, None)
    r = client.post("/api/v1/partner/members/lookups", json={"member": {"phone": PHONE}}, headers=bearer(token))
    assert r.status_code == 200
    assert r.json() == {"member_ref": member["member_ref"], "sharing": False, "name": None, "tier": None,
                        "available_points": None}
    for text in (r.text, earn(client, token, "r1", {"email": EMAIL}).text):
        assert "li.na" not in text and "13800138000" not in text and "李" not in text


def test_sharing_consent_shows_a_masked_name_and_the_points_but_never_contacts(client, auth):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    make_member(client, h, sharing=True)
    earn(client, token, "r1", {"email": EMAIL}, amount=20_000)
    r = client.post("/api/v1/partner/members/lookups", json={"member": {"email": EMAIL}}, headers=bearer(token))
    assert r.status_code == 200, r.text
    view = r.json()
    assert (view["sharing"], view["name"], view["available_points"]) == (True, "李*", 200)
    assert "li.na" not in r.text and "13800138000" not in r.text and "李娜" not in r.text
    # consent withdrawn: back to nothing
    cid = make_member(client, h, sharing=False)
    r = client.post("/api/v1/partner/members/lookups", json={"member": {"email": EMAIL}}, headers=bearer(token))
    assert r.json()["sharing"] is False and r.json()["available_points"] is None
    assert available(client, h, cid) == 200


def test_partner_a_cannot_see_partner_bs_member_reference_vouchers_or_statement(client, auth):
    h = auth("admin")
    a = make_partner(client, h, "CAFE")["token"]
    b = make_partner(client, h, "GYM")["token"]
    cid = make_member(client, h, sharing=True)
    ref_a = earn(client, a, "same-id", {"email": EMAIL}, amount=100_000).json()["member"]["member_ref"]
    r = earn(client, b, "same-id", {"email": EMAIL}, amount=300)          # each partner has its own id space
    assert r.status_code == 201 and r.json()["points"] == 3
    assert r.json()["member"]["member_ref"] != ref_a                      # no joining data across partners
    reward = client.post("/api/v1/loyalty/rewards", headers=h, json={
        "name": "CAFE 拿铁券", "kind": "voucher", "points_cost": 250, "details": {"partner": "GYM"}}).json()
    code = client.post(f"/api/v1/customers/{cid}/points/redemptions", headers=h,
                       json={"reward_id": reward["id"], "idempotency_key": "v1"}).json()["code"]
    r = client.get(f"/api/v1/partner/vouchers/{code}", headers=bearer(a))
    assert r.status_code == 404                                           # GYM's voucher is unknown to CAFE
    assert client.post(f"/api/v1/partner/vouchers/{code}/uses", json={}, headers=bearer(a)).status_code == 404
    assert client.get(f"/api/v1/partner/vouchers/{code}", headers=bearer(b)).json()["status"] == "valid"
    month = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    st = client.get(f"/api/v1/partner/statements/{month}", headers=bearer(a))
    assert st.status_code == 200, st.text
    assert (st.json()["partner"], st.json()["issued"]["points"], st.json()["issued"]["count"]) == ("CAFE", 1000, 1)
    assert client.get(f"/api/v1/partner/statements/{month}", headers=bearer(b)).json()["issued"]["points"] == 3


def test_a_partner_voucher_is_consumed_once_by_its_partner(client, auth):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    cid = make_member(client, h)
    earn(client, token, "r1", {"email": EMAIL}, amount=100_000)           # 1,000 points
    reward = client.post("/api/v1/loyalty/rewards", headers=h, json={
        "name": "拿铁券", "kind": "voucher", "points_cost": 250, "details": {"partner": "CAFE"}}).json()
    r = client.post(f"/api/v1/customers/{cid}/points/redemptions", headers=h,
                    json={"reward_id": reward["id"], "idempotency_key": "v1"})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert available(client, h, cid) == 750                               # points consumed at redemption
    v = client.get(f"/api/v1/partner/vouchers/{code}", headers=bearer(token))
    assert v.status_code == 200 and (v.json()["status"], v.json()["points"]) == ("valid", 250)
    assert "customer" not in v.text
    used = client.post(f"/api/v1/partner/vouchers/{code}/uses", json={"ref": "till-7"}, headers=bearer(token))
    assert used.status_code == 201 and used.json()["status"] == "used"
    again = client.post(f"/api/v1/partner/vouchers/{code}/uses", json={"ref": "till-7"}, headers=bearer(token))
    assert again.status_code == 200 and again.json()["used_at"] == used.json()["used_at"]
    other = client.post(f"/api/v1/partner/vouchers/{code}/uses", json={"ref": "till-9"}, headers=bearer(token))
    assert other.status_code == 409 and "used already" in other.json()["detail"]
    assert available(client, h, cid) == 750
    # a reserved (unconfirmed) voucher cannot be used yet; a cancelled one never
    held = client.post(f"/api/v1/customers/{cid}/points/redemptions", headers=h,
                       json={"reward_id": reward["id"], "idempotency_key": "v2", "reserve": True}).json()
    r = client.post(f"/api/v1/partner/vouchers/{held['code']}/uses", json={}, headers=bearer(token))
    assert r.status_code == 409 and "reserved" in r.json()["detail"]
    client.post(f"/api/v1/customers/{cid}/points/redemptions/{held['id']}/cancellation", headers=h)
    assert client.get(f"/api/v1/partner/vouchers/{held['code']}", headers=bearer(token)).json()["status"] == "cancelled"
    assert client.post(f"/api/v1/partner/vouchers/{held['code']}/uses", json={}, headers=bearer(token)).status_code == 409
    assert client.get("/api/v1/partner/vouchers/NOSUCHCODE", headers=bearer(token)).status_code == 404
    with transaction(client.app.state.runtime.factory) as session:
        assert store.verify(session) == []


def test_after_erasure_the_member_code_phone_and_email_find_nobody_at_a_partner(client, auth, runtime):
    h = auth("admin")
    token = make_partner(client, h)["token"]
    cid = make_member(client, h, sharing=True)
    code = client.get(f"/api/v1/customers/{cid}/partner-code", headers=h).json()["code"]
    assert earn(client, token, "r1", {"code": code}).status_code == 201
    r = client.post(f"/api/v1/customers/{cid}/erasure", headers=h)
    assert r.status_code == 200, r.text
    for member in ({"code": code}, {"email": EMAIL}, {"phone": PHONE}):
        r = client.post("/api/v1/partner/members/lookups", json={"member": member}, headers=bearer(token))
        assert r.status_code == 404, (member, r.text)
    with runtime.factory() as session:           # the code itself is gone, not just its owner
        assert session.get(MemberCode, cid) is None
