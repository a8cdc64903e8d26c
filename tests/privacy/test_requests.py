import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from guanxi.customers import hooks
from guanxi.customers.models import Consent, Customer, CustomerEvent, Identity, Order, Shipment
from guanxi.customers.privacy_hooks import ERASED, scrub
from guanxi.privacy.models import AuditEntry
from .people import PERSON


def _audit(runtime, kind):
    with runtime.factory() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.kind == kind)))


def test_export_holds_every_domain(client, auth, runtime, person, monkeypatch):
    cid = person["customer_id"]
    # A second domain (as loyalty will) registers its own exporter: its data is in the document too.
    monkeypatch.setitem(hooks.exporters, "loyalty", lambda session, customer_id: {"points": 120, "of": customer_id})
    reply = client.get(f"/api/v1/customers/{cid}/export", headers=auth("service"))
    assert reply.status_code == 200, reply.text
    assert "attachment" in reply.headers["content-disposition"]
    doc = reply.json()
    assert doc["format"] == "guanxi-export/1" and doc["customer_id"] == cid
    assert doc["domains"]["loyalty"] == {"points": 120, "of": cid}
    mine = doc["domains"]["customers"]
    assert mine["profile"]["name"] == PERSON["name"] and mine["profile"]["address"] == PERSON["address"]
    assert mine["profile"]["birthday"] == PERSON["birthday"] and mine["profile"]["tags"] == ["vip"]
    assert {i["value"] for i in mine["identities"]} == {"mei.chen@example.com", "+8613912345678"}
    assert [c["granted"] for c in mine["consents"]] == [True, False]  # the history, not only the state
    [order] = mine["orders"]
    assert order["total_minor"] == 25800 and order["refunded_minor"] == 1000
    assert order["lines"][0]["sku"] == "LIP-01"
    assert order["refunds"][0]["external_id"] == "R-1"
    assert order["shipments"][0]["tracking_number"] == "SF1234567890"
    assert mine["events"][0]["properties"]["rating"] == 5
    json.dumps(doc)  # one JSON document
    [row] = _audit(runtime, "pii_exported")
    assert row.subject_id == str(cid) and {"customers", "loyalty"} <= set(row.details["domains"])


def test_export_and_erasure_need_the_privacy_permission(client, auth, person):
    cid = person["customer_id"]
    for role in ("analyst", "operations", "tech"):
        assert client.get(f"/api/v1/customers/{cid}/export", headers=auth(role)).status_code == 403
        assert client.post(f"/api/v1/customers/{cid}/erasure", headers=auth(role)).status_code == 403
    assert client.get("/api/v1/customers/999999/export", headers=auth("admin")).status_code == 404


def test_erasure_leaves_a_pseudonymous_stub(client, auth, runtime, person, monkeypatch):
    cid, h = person["customer_id"], auth("admin")
    calls = []
    monkeypatch.setitem(hooks.erasers, "loyalty", lambda session, customer_id: calls.append(customer_id))
    reply = client.post(f"/api/v1/customers/{cid}/erasure", headers=auth("service"))
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "erased" and not reply.json()["already_erased"]
    assert calls == [cid]

    # The old identities find nobody; the profile is gone from reads and search.
    for q in (PERSON["email"], PERSON["phone"], "+86 139 1234 5678", PERSON["name"][:2]):
        assert client.get("/api/v1/customers", params={"q": q}, headers=h).json()["items"] == [], q
    assert client.get(f"/api/v1/customers/{cid}", headers=h).status_code == 404
    assert client.get(f"/api/v1/customers/{cid}/export", headers=h).status_code == 404

    with runtime.factory() as s:
        stub = s.get(Customer, cid)
        assert stub.status == "erased" and stub.erased_at is not None
        assert (stub.name_enc, stub.birthday_enc, stub.address_enc, stub.city, stub.tags) == (None, None, None, None, [])
        assert stub.name_prefix_hash is None and stub.birthday_md_hash is None
        assert s.scalar(select(func.count()).select_from(Identity).where(Identity.customer_id == cid)) == 0
        # Orders stay for accounting, linked to the stub; consents stay as pseudonymous history.
        order = s.get(Order, person["order_id"])
        assert order.customer_id == cid and order.total_minor == 25800 and order.refunded_minor == 1000
        assert s.scalar(select(func.count()).select_from(Consent).where(Consent.customer_id == cid)) == 2
        assert s.scalar(select(Shipment.tracking_number)) is None
        event = s.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == cid))
        assert event.properties == {"text": ERASED, "contact": ERASED, "rating": 5, "sku": "LIP-01", "note": ERASED}

    [row] = _audit(runtime, "customer_erased")
    assert row.subject_id == str(cid) and row.details["domains"]["customers"]["identities_removed"] == 2
    text = json.dumps(row.details, ensure_ascii=False)
    assert all(v not in text for v in ("mei.chen", "13912345678", PERSON["name"]))

    # The same e-mail or phone now makes a new person.
    again = client.post("/api/v1/customers", json={"email": PERSON["email"]}, headers=h)
    assert again.status_code == 201 and again.json()["id"] != cid
    order = client.post("/api/v1/orders", headers=h, json={
        "source": "shop", "external_id": "A-2", "customer": {"phone": PERSON["phone"]},
        "placed_at": "2026-04-01T10:00:00+08:00", "currency": "CNY", "total_minor": 100})
    assert order.json()["customer_id"] not in (cid, None)

    # Erasing again changes nothing.
    repeat = client.post(f"/api/v1/customers/{cid}/erasure", headers=h)
    assert repeat.status_code == 200 and repeat.json()["already_erased"]
    assert repeat.json()["erased_at"] == reply.json()["erased_at"]
    assert len(_audit(runtime, "customer_erased")) == 1


def test_erasing_a_merged_profile_erases_the_person(client, auth, runtime):
    h = auth("admin")
    a = client.post("/api/v1/customers", json={"email": "a@example.com", "name": "Ann Lee"}, headers=h).json()["id"]
    b = client.post("/api/v1/customers", json={"phone": "13700137000", "name": "Ann Lee"}, headers=h).json()["id"]
    with runtime.factory() as s:  # as a merge leaves it: b's profile merged into a
        s.get(Customer, b).status, s.get(Customer, b).merged_into_id = "merged", a
        s.commit()
    reply = client.post(f"/api/v1/customers/{b}/erasure", headers=h)
    assert reply.status_code == 200 and reply.json()["id"] == a
    assert reply.json()["domains"]["customers"]["profiles"] == 2
    with runtime.factory() as s:
        assert {c.status for c in s.scalars(select(Customer))} == {"erased"}
        assert s.scalar(select(func.count()).select_from(Identity)) == 0
        assert s.get(Customer, b).name_enc is None


def test_cli_export_and_erase(person, runtime, tmp_path):
    from guanxi.cli import _register, app

    _register()
    cid = person["customer_id"]
    runner = CliRunner()
    out = tmp_path / "export.json"
    result = runner.invoke(app, ["privacy", "export", str(cid), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["domains"]["customers"]["profile"]["name"] == PERSON["name"]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert runner.invoke(app, ["privacy", "erase", str(cid)], input="n\n").exit_code == 1
    result = runner.invoke(app, ["privacy", "erase", str(cid), "--yes"])
    assert result.exit_code == 0, result.output
    with runtime.factory() as s:
        assert s.get(Customer, cid).status == "erased"
    [row] = _audit(runtime, "customer_erased")
    assert row.actor.startswith("cli:")


def test_scrub_drops_personal_data_and_keeps_the_rest():
    needles = ["li.na@example.com", "13800138000", "李娜"]
    value = {"Email": "x", "first-name": "y", "items": [{"sku": "A", "qty": 2}, "ask 李娜"],
             "msg": "mail LI.NA@example.com", "n": 3, "ok": "fine"}
    assert scrub(value, needles) == {"Email": ERASED, "first-name": ERASED,
                                     "items": [{"sku": "A", "qty": 2}, ERASED], "msg": ERASED, "n": 3, "ok": "fine"}
