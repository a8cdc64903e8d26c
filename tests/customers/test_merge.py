"""Merge and unmerge: nothing lost, everything restored exactly, other domains' rows follow (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from guanxi.customers import demo, hooks, merging, profiles
from guanxi.customers.models import (
    Consent, Customer, CustomerEvent, DuplicateCandidate, Identity, Merge, Order, OrderLine, Refund,
)
from guanxi.customers.identity import resolve_people
from guanxi.customers.records import IdentityKey, PersonIn
from guanxi.db import transaction
from guanxi.errors import Conflict, Invalid, NotFound
from guanxi.privacy.models import AuditEntry
from guanxi.staff.roles import SYSTEM

PER_CUSTOMER = [Identity, Order, Consent, CustomerEvent]


def snapshot(session, ids) -> dict:
    """Every row of these customers, column by column."""
    def rows(model, where):
        table = model.__table__
        return sorted((dict(r._mapping) for r in session.execute(select(table).where(where))),
                      key=lambda r: r["id"])
    orders = select(Order.id).where(Order.customer_id.in_(ids))
    snap = {"customers": rows(Customer, Customer.id.in_(ids))}
    snap |= {m.__tablename__: rows(m, m.customer_id.in_(ids)) for m in PER_CUSTOMER}
    snap["order_lines"] = rows(OrderLine, OrderLine.order_id.in_(orders))
    snap["refunds"] = rows(Refund, Refund.order_id.in_(orders))
    return snap


def count_of(session, model, customer_id) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.customer_id == customer_id))


@pytest.fixture
def shop(runtime):
    """A small demo shop; returns a true duplicate pair where both profiles bought something."""
    with transaction(runtime.factory) as session:
        result = demo.load(session, runtime.cipher, demo.generate(250, seed=21))
    with runtime.factory() as session:
        for a, b in sorted(result.duplicates):
            if count_of(session, Order, a) and count_of(session, Order, b):
                return a, b
    raise AssertionError("the demo shop has no duplicate pair with orders on both sides")


def test_merge_then_unmerge_restores_exact_state(runtime, shop, monkeypatch):
    survivor, other = shop
    calls = []

    def move(session, from_id, to_id):
        calls.append(("move", from_id, to_id))
        return {"points_ledger": [7, 8]}

    def unmove(session, rows, back_to):
        calls.append(("unmove", rows, back_to))

    monkeypatch.setitem(hooks.movers, "test_domain", (move, unmove))  # beside the real domains' movers
    with runtime.factory() as session:
        before = snapshot(session, [survivor, other])
        counts = {m: count_of(session, m, other) for m in PER_CUSTOMER}
        assert all(counts.values())

    with transaction(runtime.factory) as session:
        record = merging.merge(session, survivor, other, SYSTEM, score=0.97)
        merge_id = record.id
    with runtime.factory() as session:
        assert snapshot(session, [survivor, other]) != before
        gone = session.get(Customer, other)
        assert (gone.status, gone.merged_into_id) == ("merged", survivor)
        for model, n in counts.items():
            assert count_of(session, model, other) == 0
        record = session.get(Merge, merge_id)
        assert {t: len(ids) for t, ids in record.moved.items() if t in merging.OWN_ROWS} == {
            m.__tablename__: n for m, n in counts.items()}
        assert record.moved["hooks"]["test_domain"] == {"points_ledger": [7, 8]}
        assert record.before["survivor"] and record.score == 0.97
        audit = session.scalar(select(AuditEntry).where(AuditEntry.kind == "customer_merged"))
        assert audit.subject_id == str(survivor) and audit.details["merged_id"] == other
    assert calls == [("move", other, survivor)]

    with transaction(runtime.factory) as session:
        merging.unmerge(session, merge_id, SYSTEM)
    with runtime.factory() as session:
        assert snapshot(session, [survivor, other]) == before
        assert session.get(Merge, merge_id).undone_at is not None
    assert calls[-1] == ("unmove", {"points_ledger": [7, 8]}, other)


def test_merge_moves_orders_so_the_360_figures_add_up(runtime, shop):
    survivor, other = shop
    with runtime.factory() as session:
        a, b = profiles.order_figures(session, survivor), profiles.order_figures(session, other)
        identities = len(profiles.identities_of(session, runtime.cipher, survivor)) + len(
            profiles.identities_of(session, runtime.cipher, other))
    with transaction(runtime.factory) as session:
        merging.merge(session, survivor, other, SYSTEM)
    with runtime.factory() as session:
        both = profiles.view(session, runtime.cipher, other, reveal=True)  # the merged id leads to the survivor
    assert both["id"] == survivor
    assert both["orders_count"] == a["orders_count"] + b["orders_count"]
    assert both["orders_total_minor"] == a["orders_total_minor"] + b["orders_total_minor"]
    assert both["first_order_at"] == min(x for x in (a["first_order_at"], b["first_order_at"]) if x)
    assert both["last_order_at"] == max(x for x in (a["last_order_at"], b["last_order_at"]) if x)
    assert len(both["identities"]) == identities
    assert any(e["kind"] == "customer_merged" for e in both["timeline"])


def _person(runtime, session, phone, **fields):
    [(cid, _)] = resolve_people(session, runtime.cipher, [PersonIn(
        identities=[IdentityKey("phone", "", phone)], **fields)])
    return cid


def test_merge_fills_empty_fields_and_later_edits_survive_unmerge(runtime):
    with transaction(runtime.factory) as session:
        a = _person(runtime, session, "+8613800000001", name="李娜", tags=["vip"])
        b = _person(runtime, session, "+8613800000002", name="李娜", birthday="--02-29", city="上海",
                    tags=["student"], address="上海市徐汇区龙华路1号")
    with transaction(runtime.factory) as session:
        merge_id = merging.merge(session, a, b, SYSTEM).id
    with transaction(runtime.factory) as session:
        merged = profiles.view(session, runtime.cipher, a, reveal=True)
        assert merged["birthday"] == "--02-29" and merged["city"] == "上海" and merged["tags"] == ["student", "vip"]
        assert merged["address"] == "上海市徐汇区龙华路1号"
        profiles.update_profile(session, runtime.cipher, a, {"city": "杭州"})  # edited after the merge
    with transaction(runtime.factory) as session:
        merging.unmerge(session, merge_id, SYSTEM)
    with runtime.factory() as session:
        restored = profiles.view(session, runtime.cipher, a, reveal=True)
        assert restored["birthday"] is None and restored["address"] is None and restored["tags"] == ["vip"]
        assert restored["city"] == "杭州"  # the later edit is kept
        assert profiles.view(session, runtime.cipher, b, reveal=True)["birthday"] == "--02-29"


def test_merge_errors_are_clear(runtime):
    with transaction(runtime.factory) as session:
        a, b, c = (_person(runtime, session, f"+861380000001{i}", name=f"顾客{i}") for i in range(3))
        session.execute(Customer.__table__.update().where(Customer.id == c).values(status="erased"))
    with transaction(runtime.factory) as session:
        first = merging.merge(session, a, b, SYSTEM).id
    with runtime.factory() as session:
        with pytest.raises(Invalid, match="itself"):
            merging.merge(session, a, a, SYSTEM)
        with pytest.raises(NotFound):
            merging.merge(session, a, 999_999, SYSTEM)
        with pytest.raises(Conflict, match=f"already merged into customer {a}"):
            merging.merge(session, a, b, SYSTEM)
        with pytest.raises(Conflict, match="erased"):
            merging.merge(session, a, c, SYSTEM)
    d = None
    with transaction(runtime.factory) as session:
        d = _person(runtime, session, "+8613800000020", name="顾客9")
        second = merging.merge(session, a, d, SYSTEM).id
    with runtime.factory() as session:
        with pytest.raises(Conflict, match=f"undo merge {second} first"):
            merging.unmerge(session, first, SYSTEM)
    with transaction(runtime.factory) as session:
        merging.unmerge(session, second, SYSTEM)
        merging.unmerge(session, first, SYSTEM)
    with runtime.factory() as session:
        with pytest.raises(Conflict, match="already undone"):
            merging.unmerge(session, first, SYSTEM)
        with pytest.raises(NotFound):
            merging.unmerge(session, 999_999, SYSTEM)


def _pair_in_queue(runtime):
    with transaction(runtime.factory) as session:
        a = _person(runtime, session, "+8613900000001", name="王芳", city="北京")
        b = _person(runtime, session, "+8613900000002", name="王芳", city="北京")
        session.add(DuplicateCandidate(a_id=a, b_id=b, score=0.8, reasons=["same name", "same city"]))
    return a, b


def test_api_review_queue_merge_dismiss_and_undo(runtime, client, auth):
    a, b = _pair_in_queue(runtime)
    assert client.get("/api/v1/duplicates", headers=auth("analyst")).status_code == 403
    assert client.post(f"/api/v1/customers/{a}/merge", json={"other_id": b}, headers=auth("analyst")).status_code == 403

    masked = client.get("/api/v1/duplicates", headers=auth("operations")).json()
    assert masked["masked"] and masked["items"][0]["a"]["name"] == "王*"
    assert "13900000001" not in str(masked)
    full = client.get("/api/v1/duplicates", headers=auth("service")).json()
    [item] = full["items"]
    assert not full["masked"] and item["a"]["name"] == "王芳" and item["reasons"] == ["same name", "same city"]
    assert {i["value"] for i in item["a"]["identities"]} == {"+8613900000001"}
    with runtime.factory() as session:  # only the full read is audited, naming both profiles
        [read] = session.scalars(select(AuditEntry).where(AuditEntry.kind == "pii_viewed")).all()
        assert read.actor_role == "service" and read.details["customer_ids"] == [a, b]

    h = auth("service")
    assert client.post(f"/api/v1/duplicates/{item['id']}/merge", json={"survivor_id": 12345}, headers=h).status_code == 422
    merged = client.post(f"/api/v1/duplicates/{item['id']}/merge", json={"survivor_id": b}, headers=h)
    assert merged.status_code == 201, merged.text
    assert merged.json()["survivor_id"] == b and merged.json()["moved"]["customer_identities"] == 1
    assert client.post(f"/api/v1/duplicates/{item['id']}/dismiss", headers=h).status_code == 409
    assert client.get("/api/v1/duplicates", headers=h).json()["items"] == []
    assert client.post(f"/api/v1/customers/{a}/merge", json={"other_id": b}, headers=h).status_code == 409

    undo = client.post(f"/api/v1/merges/{merged.json()['id']}/undo", headers=h)
    assert undo.status_code == 200 and undo.json()["undone_at"]
    assert client.post(f"/api/v1/merges/{merged.json()['id']}/undo", headers=h).status_code == 409
    assert client.post("/api/v1/merges/999999/undo", headers=h).status_code == 404
    dismissed = client.post(f"/api/v1/duplicates/{item['id']}/dismiss", headers=h)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert client.get("/api/v1/duplicates", params={"status": "dismissed"}, headers=h).json()["items"][0]["id"] == item["id"]
    assert client.post("/api/v1/duplicates/999999/merge", headers=h).status_code == 404


def test_api_merge_customers_and_validation(runtime, client, auth):
    h = auth("operations")
    with transaction(runtime.factory) as session:
        a = _person(runtime, session, "+8613700000001", name="Emily Chen")
        b = _person(runtime, session, "+8613700000002", name="EMILY CHEN")
    assert client.post(f"/api/v1/customers/{a}/merge", json={"other_id": "b"}, headers=h).status_code == 422
    assert client.post(f"/api/v1/customers/{a}/merge", json={"other_id": b, "x": 1}, headers=h).status_code == 422
    assert client.post(f"/api/v1/customers/{a}/merge", json={"other_id": a}, headers=h).status_code == 422
    assert client.post(f"/api/v1/customers/{a}/merge", json={"other_id": 999999}, headers=h).status_code == 404
    reply = client.post(f"/api/v1/customers/{a}/merge", json={"other_id": b}, headers=h)
    assert reply.status_code == 201 and reply.json()["merged_id"] == b
    assert client.get(f"/api/v1/customers/{b}", headers=h).json()["id"] == a


def test_api_queue_pages_with_a_cursor(runtime, client, auth):
    with transaction(runtime.factory) as session:
        ids = [_person(runtime, session, f"+86139000001{i:02d}", name=f"客户{i}") for i in range(7)]
        for i, (x, y) in enumerate(zip(ids, ids[1:])):
            session.add(DuplicateCandidate(a_id=x, b_id=y, score=0.5 + i * 0.05, reasons=["same city"]))
    h = auth("admin")
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/duplicates", params={"limit": 4, **({"cursor": cursor} if cursor else {})},
                          headers=h).json()
        seen += [i["score"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 6
    assert client.get("/api/v1/duplicates", params={"cursor": "nonsense"}, headers=h).status_code == 422
