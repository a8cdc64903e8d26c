"""POST /api/v1/imports: the upload runs through the task queue, with progress, a summary and an
error report (personal data masked for roles without access); bad uploads are refused."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from guanxi.customers.models import Order
from guanxi.worker import Worker

HEADER = "source,external_id,customer_email,placed_at,currency,total,sku,quantity,unit_price\n"


def orders_csv(n: int, bad: dict[int, str]) -> bytes:
    lines = [HEADER]
    for i in range(n):
        email = bad.get(i, f"buyer{i}@example.com")
        lines.append(f"shop,u{i},{email},2026-11-11 10:00,CNY,{10 + i}.00,SKU-{i % 3},1,{10 + i}.00\n")
    return "".join(lines).encode("gb18030")


def upload(client, headers, content: bytes, *, name="orders.csv", kind="orders", fmt="guanxi", dry_run=False):
    return client.post("/api/v1/imports", headers=headers, files={"file": (name, content, "text/csv")},
                       data={"kind": kind, "format": fmt, "dry_run": str(dry_run).lower()})


def drain(runtime) -> int:
    return Worker(runtime.factory, runtime.settings, only=["customers.import"]).drain_tasks()


def orders_stored(runtime) -> int:
    with runtime.factory() as s:
        return s.scalar(select(func.count()).select_from(Order))


def test_upload_runs_through_the_task_queue(client, auth, runtime):
    tech = auth("tech")
    content = orders_csv(60, bad={5: "not-an-email", 33: "张伟@@example"})
    reply = upload(client, tech, content)
    assert reply.status_code == 202, reply.text
    job = reply.json()
    assert (job["status"], job["kind"], job["format"], job["filename"]) == ("queued", "orders", "guanxi", "orders.csv")
    assert job["progress"] == {"done": 0, "total": len(content), "unit": "bytes"}
    assert orders_stored(runtime) == 0

    assert drain(runtime) == 1
    done = client.get(f"/api/v1/imports/{job['id']}", headers=tech).json()
    assert done["status"] == "done", done
    assert done["progress"] == {"done": len(content), "total": len(content), "unit": "bytes"}
    summary = done["summary"]
    assert (summary["rows"], summary["bad_rows"], summary["orders_created"], summary["encoding"]) == (
        60, 2, 58, "gb18030")
    assert summary["file"] == "orders.csv" and "first_errors" not in summary and "errors_path" not in summary
    assert orders_stored(runtime) == 58
    assert not list((runtime.settings.data_dir / "imports").glob("*.upload"))  # the upload is gone

    report = client.get(done["errors_url"], headers=tech)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert [(r["line"], r["column"]) for r in rows] == [("7", "customer_email"), ("35", "customer_email")]
    assert "not-an-email" not in report.text and "张伟" not in report.text  # the tech role sees no personal data
    assert "e-mail" in rows[0]["reason"]
    full = client.get(done["errors_url"], headers=auth("admin"))
    assert [r["value"] for r in csv.DictReader(io.StringIO(full.content.decode("utf-8-sig")))] == [
        "not-an-email", "张伟@@example"]

    again = upload(client, tech, content)
    drain(runtime)
    summary = client.get(f"/api/v1/imports/{again.json()['id']}", headers=tech).json()["summary"]
    assert (summary["orders_created"], summary["orders_known"]) == (0, 58)
    assert orders_stored(runtime) == 58


def test_dry_run_upload_and_a_failed_import(client, auth, runtime):
    admin = auth("admin")
    dry = upload(client, admin, orders_csv(5, bad={}), dry_run=True).json()
    wrong = upload(client, admin, b"Name,Email\n#1001,a@example.com\n", kind="customers").json()
    assert drain(runtime) == 2
    dry = client.get(f"/api/v1/imports/{dry['id']}", headers=admin).json()
    assert dry["dry_run"] and dry["summary"]["orders_created"] == 5 and dry["errors_url"] is None
    assert orders_stored(runtime) == 0
    empty = client.get(f"/api/v1/imports/{dry['id']}/errors", headers=admin)
    assert empty.status_code == 200 and empty.content.decode("utf-8-sig").strip() == "line,column,value,reason"
    failed = client.get(f"/api/v1/imports/{wrong['id']}", headers=admin).json()
    assert failed["status"] == "failed" and "guanxi customer columns" in failed["error"]


def test_bad_uploads_are_refused(client, auth, runtime):
    h = auth("tech")
    workbook = upload(client, h, b"PK\x03\x04" + b"\x00" * 200, name="orders.xlsx")
    assert workbook.status_code == 415 and workbook.headers["content-type"] == "application/problem+json"
    assert "CSV" in workbook.json()["detail"]
    disguised = upload(client, h, b"PK\x03\x04" + b"\x00" * 200, name="orders.csv")
    assert disguised.status_code == 415 and "not text" in disguised.json()["detail"]
    assert upload(client, h, b"", name="orders.csv").status_code == 422
    combo = upload(client, h, b"a,b\n1,2\n", kind="customers", fmt="cdnow")
    assert combo.status_code == 422 and combo.json()["errors"][0]["loc"] == ["body", "format"]
    too_big = upload(client, h, b"a,b\n" + b"1,2\n" * (runtime.settings.max_body_bytes // 4 + 1))
    assert too_big.status_code == 413 and too_big.headers["content-type"] == "application/problem+json"
    assert upload(client, auth("analyst"), b"a,b\n1,2\n").status_code == 403
    assert client.get("/api/v1/imports/999999", headers=h).status_code == 404
    queued = upload(client, h, orders_csv(2, bad={})).json()
    assert client.get(f"/api/v1/imports/{queued['id']}/errors", headers=h).status_code == 409
