"""In the browser: merge a duplicate and undo it; upload an import with a bad row and download its report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import SERVER_ENV
from .flows import sign_in

pytestmark = pytest.mark.e2e

GUANXI = Path(sys.executable).parent / "guanxi"


def _guanxi(*args: str) -> str:
    done = subprocess.run([str(GUANXI), *args], env=SERVER_ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_merge_a_duplicate_and_undo_it(page, server):
    sign_in(page)
    token = _guanxi("token", "create", "--name", "e2e-dups", "--role", "admin").strip().splitlines()[-1]
    same = {"name": "赵雪梅", "birthday": "1988-07-14", "city": "成都", "acquisition_channel": "wechat"}
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}) as http:
        http.post("/api/v1/customers", json={**same, "phone": "+8613711112222"}).raise_for_status()
        http.post("/api/v1/customers", json={**same, "phone": "+8613711112223", "email": "xuemei@example.com",
                                             "acquisition_channel": "douyin"}).raise_for_status()
    _guanxi("dedup", "--threshold", "1.0")  # queue the pair for review, merge nothing by itself

    page.goto("/duplicates")
    merge = page.get_by_role("button", name="Merge, keep customer").first
    expect(merge).to_be_visible()
    merge.click()
    undo = page.locator("#undo-merge")
    expect(undo).to_be_visible()
    undo.click()
    expect(page.locator("#undo-merge")).to_have_count(0)
    expect(page.get_by_role("button", name="Merge, keep customer").first).to_be_visible()  # back in the queue


def test_upload_an_import_with_a_bad_row_and_download_its_report(page, tmp_path):
    csv = tmp_path / "customers.csv"
    csv.write_text("email,phone,name,city\n"
                   "zhou.min@example.com,+8613622223333,周敏,杭州\n"
                   "not-an-email,+8613622224444,Bad Row,上海\n"
                   "sun.li@example.com,,孙丽,南京\n", encoding="utf-8")
    sign_in(page)
    page.goto("/imports")
    page.locator("#f-kind").select_option("customers")
    page.locator("#f-format").select_option("guanxi")
    page.locator("#f-file").set_input_files(str(csv))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/imports/*")
    _guanxi("worker", "--once", "--only", "customers.import")  # the worker runs the queued import
    report = page.locator("#error-report")
    expect(report).to_be_visible(timeout=20_000)  # the status fragment polls until the task is done
    with page.expect_download() as download:
        report.click()
    import csv as csv_module

    rows = list(csv_module.reader(Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()))
    bad = rows[1:]
    assert [(r[0], r[1]) for r in bad] == [("3", "email")], rows  # the bad row's line and column
    assert bad[0][3]  # and a reason a person can act on
