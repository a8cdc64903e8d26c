"""Unsubscribing from a real marketing e-mail: the link read out of the captured mail, opened in Chromium
and confirmed; the one-click POST a mail client sends; and the next campaign suppressed for both."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import SERVER_ENV

pytestmark = pytest.mark.e2e

GUANXI = Path(sys.executable).parent / "guanxi"
C = "/api/v1/care/campaigns"


def _guanxi(server: str, *args: str) -> str:
    # The worker sends at any hour and without the shop's caps, and its links point at this server.
    env = {**SERVER_ENV, "GUANXI_CARE_QUIET_HOURS": "00:00-00:00", "GUANXI_CARE_CAPS": "",
           "GUANXI_CARE_PUBLIC_URL": server}
    done = subprocess.run([str(GUANXI), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _marketing_consent(http: httpx.Client, cid: int) -> bool | None:
    view = http.get(f"/api/v1/customers/{cid}").raise_for_status().json()
    return next((c["granted"] for c in view["consents"] if (c["channel"], c["purpose"]) == ("email", "marketing")),
                None)


def _campaign(http: httpx.Client, name: str, ids: list[int]) -> int:
    made = http.post(C, json={"name": name, "channels": ["email"], "variants": [{"template": "e2e-news"}],
                              "audience": {"customer_ids": ids}}).raise_for_status().json()
    http.post(f"{C}/{made['id']}/status", json={"status": "active"}).raise_for_status()
    assert http.post(f"{C}/{made['id']}/runs", json={}).raise_for_status().json()["queued"] == len(ids)
    return made["id"]


def _link(mail) -> str:
    match = re.search(r"<(https?://[^>]+/api/v1/care/unsubscribe/[^>]+)>", mail["List-Unsubscribe"])
    assert match, mail["List-Unsubscribe"]
    return match.group(1)


def test_unsubscribe_from_a_marketing_email_in_the_browser(page, server, mailbox_e2e):
    token = _guanxi(server, "token", "create", "--name", "e2e-care", "--role", "admin").strip().splitlines()[-1]
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        ids = []
        for email in ("mei.unsub@example.com", "tao.oneclick@example.com"):
            cid = http.post("/api/v1/customers", json={"email": email, "name": "张美", "locale": "en"}) \
                .raise_for_status().json()["id"]
            http.post(f"/api/v1/customers/{cid}/consents",
                      json={"channel": "email", "purpose": "marketing", "granted": True}).raise_for_status()
            ids.append(cid)
        http.post("/api/v1/care/templates", json={
            "name": "e2e-news", "channel": "email", "locale": "en", "subject": "New tea for {{ customer.first_name }}",
            "body": "Spring tea is in."}).raise_for_status()
        _campaign(http, "Spring tea", ids)
        _guanxi(server, "care", "drain")
        [mei] = mailbox_e2e.to("mei.unsub@example.com")
        [tao] = mailbox_e2e.to("tao.oneclick@example.com")
        assert mei["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # Opening the link only asks; confirming withdraws the consent.
        page.goto(_link(mei))
        expect(page.get_by_role("heading", name="退订营销消息 · Unsubscribe")).to_be_visible()
        assert _marketing_consent(http, ids[0]) is True
        page.get_by_role("button", name="确认退订 · Unsubscribe").click()
        expect(page.get_by_role("status")).to_contain_text("已退订")
        expect(page.get_by_text("Unsubscribed: you will get no more marketing messages by e-mail.")).to_be_visible()
        assert _marketing_consent(http, ids[0]) is False  # (a)

        # (c) The mail client's RFC 8058 one-click POST, no browser and no sign-in.
        reply = httpx.post(_link(tao), data={"List-Unsubscribe": "One-Click"}, timeout=10)
        assert reply.status_code == 200 and "Unsubscribed" in reply.text
        assert _marketing_consent(http, ids[1]) is False

        # (b) The next campaign's messages to them are suppressed, with the reason.
        before = len(mailbox_e2e.messages)
        second = _campaign(http, "Summer tea", ids)
        _guanxi(server, "care", "drain")
        assert len(mailbox_e2e.messages) == before
        outbox = http.get("/api/v1/care/outbox", params={"campaign_id": second}).raise_for_status().json()
        assert [(m["status"], m["reason"]) for m in outbox] == [("suppressed", "no_consent")] * 2
        report = http.get(f"{C}/{second}/report").raise_for_status().json()
        assert report["suppressed_reasons"] == {"no_consent": 2}
