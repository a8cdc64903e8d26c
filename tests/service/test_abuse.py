"""Abuse flags send a case to review with its evidence; they never block the ticket or the return."""

from __future__ import annotations

from guanxi.db import transaction
from guanxi.service import abuse, returns, tickets
from guanxi.service.tickets import TicketIn

TEXT = "收到的商品是坏的，要求全额退款并赔偿运费，否则投诉到平台"


def test_text_hash_ignores_case_spacing_and_punctuation():
    assert abuse.text_hash("Hello,  WORLD!! this is long enough text") == abuse.text_hash("hello world this is long enough text.")
    assert abuse.text_hash("where is my order?") is None


def test_same_text_from_several_accounts(runtime, cfg, desk, customer):
    ids = [customer()[0] for _ in range(3)]
    with transaction(runtime.factory) as s:
        made = [tickets.create(s, cfg, TicketIn(subject="退款", body=TEXT + ("！" * i), customer_id=c), "api")[0]
                for i, c in enumerate(ids)]
        assert made[0].abuse_flags == [] and made[1].abuse_flags == []
        third = made[2]
        assert [f["reason"] for f in third.abuse_flags] == ["same_text"]
        assert third.abuse_flags[0]["accounts"] == 3 and abuse.REVIEW_TAG in third.tags
        assert third.status == "new"                                   # still a normal ticket
        ev = abuse.evidence(s, third)
        assert {r["id"] for r in ev["related"]} == {made[0].id, made[1].id}


def test_repeated_refund_claims_flag_but_the_return_stands(runtime, cfg, desk, customer):
    cid, order_id, lines = customer(delivered_days_ago=1)
    with transaction(runtime.factory) as s:
        rows = []
        for i in range(3):
            t, _ = tickets.create(s, cfg, TicketIn(subject=f"退货 {i}", body=f"第{i}次退货", customer_id=cid,
                                                   order_id=order_id), "api")
            rows.append(returns.request(s, t, "return", lines[0], 1, "Ann"))
        assert [r.state for r in rows] == ["requested"] * 3 and all(r.returnable for r in rows)
        assert [f["reason"] for f in t.abuse_flags] == ["repeated_refunds"]
        # the next ticket of the same person is linked to the flagged one
        nxt, _ = tickets.create(s, cfg, TicketIn(subject="again", body="又坏了", customer_id=cid), "api")
        reasons = [f["reason"] for f in nxt.abuse_flags]
        assert "linked_to_flagged" in reasons and "repeated_refunds" in reasons


def test_evidence_over_http(client, auth, customer, desk):
    h = auth("service")
    ids = [customer()[0] for _ in range(3)]
    made = [client.post("/api/v1/tickets", json={"subject": "x", "body": TEXT, "customer_id": c}, headers=h).json()
            for c in ids]
    assert made[2]["abuse_flags"][0]["reason"] == "same_text"
    ev = client.get(f"/api/v1/tickets/{made[2]['id']}/abuse-evidence", headers=h).json()
    assert len(ev["related"]) == 2
