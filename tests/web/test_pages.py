"""The admin pages render and work: customers search, the 360 (reveal audited, tags, notes), settings."""

from __future__ import annotations

import re

from sqlalchemy import select

from guanxi.privacy.models import AuditEntry

from .forms import csrf_of, post_form


def test_every_admin_page_renders_for_an_admin(staff_client, seed_customer):
    client = staff_client("admin")
    customer_id = seed_customer()
    for path in ("/dashboard", "/customers", f"/customers/{customer_id}", "/imports", "/settings/tokens",
                 "/settings/staff", "/settings/audit", "/account"):
        reply = client.get(path)
        assert reply.status_code == 200, (path, reply.text[:500])
        assert reply.headers["cache-control"] == "no-store"
        assert '<main id="main"' in reply.text


def test_unknown_pages_and_customers_are_html_404(staff_client):
    client = staff_client("admin")
    for path in ("/customers/999999", "/no-such-page"):
        reply = client.get(path)
        assert reply.status_code == 404 and "Not found" in reply.text
    assert client.get("/api/v1/no-such").headers["content-type"].startswith("application/problem+json")


def test_customer_search(staff_client, seed_customer):
    client = staff_client("admin")
    li = seed_customer(email="li.lei@example.com", phone="+8613800138000", name="Li Lei")
    wang = seed_customer(email="wang@example.com", phone="+8613911112222", name="王小明",
                         acquisition_channel="douyin", tags=["beauty"])

    def ids(**params):
        html = client.get("/customers", params=params).text
        return [int(x) for x in re.findall(r'<td><a href="/customers/(\d+)">', html)]

    assert ids(q="LI.LEI@example.com") == [li]
    assert ids(q="138 0013 8000") == [li]
    assert ids(q="王小") == [wang]
    assert ids(q="li") == [li]
    assert ids(tag="beauty") == [wang]
    assert ids(channel="douyin") == [wang]
    assert ids(q="nobody@example.com") == []
    assert "No customers match." in client.get("/customers", params={"q": "nobody@example.com"}).text


def test_customer_list_pages_with_a_cursor_and_htmx_gets_the_fragment(staff_client, seed_customer, monkeypatch):
    from guanxi.web.pages import customers

    monkeypatch.setattr(customers, "PAGE_SIZE", 2)
    client = staff_client("admin")
    made = [seed_customer(phone=f"+86139000000{n:02d}", orders=0) for n in range(3)]
    first = client.get("/customers").text
    cursor = re.search(r'cursor=([\w-]+)"', first).group(1)
    assert re.findall(r'<td><a href="/customers/(\d+)">', first) == [str(i) for i in made[:2]]
    second = client.get("/customers", params={"cursor": cursor}, headers={"HX-Request": "true"})
    assert "<html" not in second.text and "<table" in second.text
    assert re.findall(r'<td><a href="/customers/(\d+)">', second.text) == [str(made[2])]
    assert "Next page" not in second.text and "First page" in second.text
    assert client.get("/customers", params={"cursor": "garbage!"}).status_code == 422


def test_names_are_masked_for_roles_without_personal_data_access(staff_client, seed_customer):
    seed_customer(name="Li Lei")
    assert "Li Lei" not in staff_client("analyst").get("/customers").text


def test_360_is_masked_and_a_reveal_is_audited(staff_client, seed_customer, runtime):
    client = staff_client("service")
    customer_id = seed_customer(phone="+8613800138000", email="li.lei@example.com", name="Li Lei")
    html = client.get(f"/customers/{customer_id}").text
    assert "138****8000" in html and "+8613800138000" not in html
    assert "vip" in html and "CN¥1,234.50" in html
    with runtime.factory() as session:
        assert not session.scalars(select(AuditEntry).where(AuditEntry.kind == "pii_viewed")).all()

    reply = client.post(f"/customers/{customer_id}/reveal", data={"csrf_token": csrf_of(html)},
                        headers={"HX-Request": "true"})
    assert reply.status_code == 200
    assert "+8613800138000" in reply.text and "li.lei@example.com" in reply.text
    assert "recorded in the audit log" in reply.text and "<html" not in reply.text
    with runtime.factory() as session:
        [row] = session.scalars(select(AuditEntry).where(AuditEntry.kind == "pii_viewed")).all()
    assert row.actor == f"user:{client.staff_email}" and row.subject_id == str(customer_id)
    assert row.details["via"] == "web"
    # Without JavaScript the same form answers with the whole page.
    full = client.post(f"/customers/{customer_id}/reveal", data={"csrf_token": csrf_of(html)})
    assert "<html" in full.text and "+8613800138000" in full.text


def test_tags_and_notes(staff_client, seed_customer, runtime):
    client = staff_client("service")
    customer_id = seed_customer()
    page = f"/customers/{customer_id}"
    reply = post_form(client, page, f"{page}/tags", {"tag": "  golden week "}, follow_redirects=False)
    assert reply.status_code == 303  # without JavaScript: back to the page
    assert "golden week" in client.get(page).text
    bad = post_form(client, page, f"{page}/tags", {"tag": "x" * 61}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "A tag is 1 to 60 characters." in bad.text
    reply = post_form(client, page, f"{page}/tags/remove", {"tag": "golden week"}, headers={"HX-Request": "true"})
    assert "golden week" not in reply.text and "vip" in reply.text

    reply = post_form(client, page, f"{page}/notes", {"body": "Prefers <b>evening</b> delivery"},
                      headers={"HX-Request": "true"})
    assert "Prefers &lt;b&gt;evening&lt;/b&gt; delivery" in reply.text  # escaped, never markup
    note_id = re.search(rf'{page}/notes/(\d+)/delete', reply.text).group(1)
    assert "Prefers" in client.get(page).text  # also on the timeline
    empty = post_form(client, page, f"{page}/notes", {"body": "   "}, headers={"HX-Request": "true"})
    assert empty.status_code == 422
    reply = post_form(client, page, f"{page}/notes/{note_id}/delete", headers={"HX-Request": "true"})
    assert "No notes yet." in reply.text


def test_api_tokens_created_once_shown_and_revoked(staff_client, client):
    admin = staff_client("admin")
    reply = post_form(admin, "/settings/tokens", "/settings/tokens", {"name": "erp-sync", "role": "tech"})
    plain = re.search(r'id="new-token" type="text" readonly value="(gx_[^"]+)"', reply.text).group(1)
    assert admin.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert plain not in admin.get("/settings/tokens").text  # shown once
    again = post_form(admin, "/settings/tokens", "/settings/tokens", {"name": "erp-sync", "role": "tech"})
    assert again.status_code == 422 and "exists already" in again.text
    post_form(admin, "/settings/tokens", "/settings/tokens/revoke", {"name": "erp-sync"})
    assert admin.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    audit = admin.get("/settings/audit", params={"kind": "token_revoked"}).text
    assert "erp-sync" in audit


def test_staff_created_and_disabled(staff_client):
    admin = staff_client("admin")
    reply = post_form(admin, "/settings/staff", "/settings/staff", {
        "email": "new.agent@shop.example", "name": "Agent", "role": "service", "password": "long-enough-pw",
        "locale": "zh-CN"})
    assert "Staff member new.agent@shop.example created." in reply.text
    short = post_form(admin, "/settings/staff", "/settings/staff", {
        "email": "other@shop.example", "role": "service", "password": "short", "locale": "en"})
    assert short.status_code == 422 and "At least 10 characters." in short.text
    reply = post_form(admin, "/settings/staff", "/settings/staff/disable", {"email": "new.agent@shop.example"},
                      headers={"HX-Request": "true"})
    assert "disabled" in reply.text


def test_audit_viewer_filters_and_pages(staff_client, monkeypatch):
    from guanxi.web.pages import audit

    monkeypatch.setattr(audit, "PAGE_SIZE", 1)
    admin = staff_client("admin")
    html = admin.get("/settings/audit", params={"kind": "signed_in"}).text
    assert 'data-kind="signed_in"' in html and 'data-kind="token_created"' not in html
    assert admin.get("/settings/audit", params={"by": "user:nobody"}).text.count("Nothing recorded matches.") == 1
    staff_client("admin")  # a second sign-in: a second row
    first = admin.get("/settings/audit", params={"kind": "signed_in"}).text
    cursor = re.search(r"cursor=([\w-]+)", first).group(1)
    older = admin.get("/settings/audit", params={"kind": "signed_in", "cursor": cursor}).text
    assert older.count('data-kind="signed_in"') == 1


def test_imports_page_is_a_labelled_upload_form(staff_client):
    html = staff_client("tech").get("/imports").text
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    for field in ("f-kind", "f-format", "f-file", "f-dry-run"):
        assert f'<label for="{field}">' in html


def test_import_upload_progress_and_error_report(staff_client, runtime):
    import pytest

    pytest.importorskip("guanxi.customers.imports_api")
    from guanxi.worker import Worker

    client = staff_client("tech")
    content = ("source,external_id,customer_email,placed_at,currency,total,sku,quantity,unit_price\n"
               "shop,u1,buyer1@example.com,2026-11-11 10:00,CNY,10.00,SKU-1,1,10.00\n"
               "shop,u2,not-an-email,2026-11-11 10:00,CNY,12.00,SKU-1,1,12.00\n").encode()
    token = csrf_of(client.get("/imports").text)
    reply = client.post("/imports", data={"kind": "orders", "format": "guanxi", "csrf_token": token},
                        files={"file": ("orders.csv", content, "text/csv")}, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    status_page = reply.headers["location"]
    queued = client.get(status_page, headers={"HX-Request": "true"}).text
    assert 'data-status="queued"' in queued and 'hx-trigger="every 1s"' in queued and "<html" not in queued

    Worker(runtime.factory, runtime.settings, only=["customers.import"]).drain_tasks()
    done = client.get(status_page).text
    assert 'data-status="done"' in done and "every 1s" not in done
    assert 'data-summary="bad_rows">1<' in done and 'data-summary="orders_created">1<' in done
    report_url = re.search(r'href="([^"]+)" id="error-report"', done).group(1)
    report = client.get(report_url)
    assert report.status_code == 200 and "not-an-email" not in report.text  # masked for the tech role
    assert "customer_email" in report.text

    bad = client.post("/imports", data={"kind": "orders", "format": "guanxi", "csrf_token": token},
                      files={"file": ("orders.xlsx", b"PK\x03\x04", "application/octet-stream")})
    assert bad.status_code == 422 and "is not a CSV file" in bad.text


def _candidate(runtime, a_id: int, b_id: int) -> int:
    from guanxi.customers.models import DuplicateCandidate

    with runtime.factory() as session:
        row = DuplicateCandidate(a_id=a_id, b_id=b_id, score=0.91, reasons=["same name", "phone typo"])
        session.add(row)
        session.commit()
        return row.id


def test_duplicates_merge_undo_and_dismiss(staff_client, seed_customer, runtime):
    import pytest

    pytest.importorskip("guanxi.customers.dedup")
    client = staff_client("service")
    a = seed_customer(email="li.lei@example.com", phone="+8613800138000", name="Li Lei")
    b = seed_customer(email="lilei@example.com", phone="+8613800138001", name="Li Lei")
    candidate = _candidate(runtime, a, b)
    post_form(client, f"/customers/{b}", f"/customers/{b}/notes", {"body": "Asked for gift wrapping"})
    html = client.get("/duplicates").text
    assert f'data-candidate="{candidate}"' in html and "phone typo" in html
    assert "138****8000" in html and "+8613800138000" not in html  # masked in the queue

    reply = post_form(client, "/duplicates", f"/duplicates/{candidate}/merge", {"survivor_id": str(a)},
                      headers={"HX-Request": "true"})
    assert "The profiles were merged." in reply.text and "<html" not in reply.text
    assert client.get(f"/customers/{b}", follow_redirects=False).headers["location"] == f"/customers/{a}"
    assert "Asked for gift wrapping" in client.get(f"/customers/{a}").text  # notes follow the person
    undo_url = re.search(r'action="(/merges/\d+/undo)"', reply.text).group(1)
    reply = post_form(client, "/duplicates", undo_url, headers={"HX-Request": "true"})
    assert "The merge was undone" in reply.text
    assert client.get(f"/customers/{b}").status_code == 200

    other = _candidate(runtime, a, seed_customer(email="x@example.com", phone="+8613700000000", name="X"))
    reply = post_form(client, "/duplicates", f"/duplicates/{other}/dismiss", follow_redirects=False)
    assert reply.status_code == 303
    assert f'data-candidate="{other}"' not in client.get("/duplicates").text
    again = post_form(client, "/duplicates", f"/duplicates/{other}/dismiss")
    assert again.status_code == 409 and "already dismissed" in again.text
