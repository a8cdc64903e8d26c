"""The scheduled-report API and page on SQLite and PostgreSQL."""

from __future__ import annotations

from guanxi.db import transaction
from guanxi.staff import service as staff_service
from guanxi.analytics import scheduled_reports
from tests.web.conftest import make_staff, staff_client  # noqa: F401  (fixtures)
from tests.web.forms import post_form

R = "/api/v1/analytics/report-schedules"


def _user(runtime, email="boss@shop.example") -> int:
    with transaction(runtime.factory) as session:
        return staff_service.create_user(session, email=email, password="correct-horse-1", role="admin").id


def test_schedule_list_change_and_delete(runtime, client, auth):
    uid = _user(runtime)
    h = auth("analyst")
    body = {"name": "Weekly figures", "frequency": "weekly", "day": 1, "recipients": [uid], "kpis": ["nps", "csat"]}
    r = client.post(R, json=body, headers=h)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["kpis"] == ["nps", "csat"] and r.json()["sent"] == []
    assert client.post(R, json=body, headers=h).status_code == 409
    listed = client.get(R, headers=h).json()
    assert [i["id"] for i in listed["items"]] == [sid] and "campaign_uplift" in listed["kpis"]
    r = client.put(f"{R}/{sid}", json={**body, "frequency": "monthly", "day": 28, "active": False}, headers=h)
    assert r.status_code == 200 and (r.json()["frequency"], r.json()["active"]) == ("monthly", False)
    assert client.delete(f"{R}/{sid}", headers=h).status_code == 204
    assert client.delete(f"{R}/{sid}", headers=h).status_code == 404
    assert client.get(R, headers=auth("content")).status_code == 403


def test_bad_schedules_answer_422_naming_the_field(runtime, client, auth):
    uid = _user(runtime)
    h = auth("admin")
    good = {"name": "r", "frequency": "weekly", "day": 1, "recipients": [uid]}
    for change, field in (({"day": 8}, "day"), ({"kpis": ["profit"]}, "kpis"), ({"recipients": [uid + 99]}, "recipients"),
                          ({"frequency": "daily"}, "frequency"), ({"extra": 1}, "extra"), ({"day": "1x"}, "day")):
        r = client.post(R, json={**good, **change}, headers=h)
        assert r.status_code == 422, (change, r.text)
        assert field in str(r.json()["errors"]), (change, r.json())


def test_schedules_page(runtime, staff_client):
    uid = _user(runtime)
    client = staff_client("analyst")
    page = client.get("/analytics/reports")
    assert page.status_code == 200 and 'id="report-form"' in page.text and "boss@shop.example" in page.text
    r = post_form(client, "/analytics/reports", "/analytics/reports", {
        "name": "每月", "frequency": "monthly", "day": "3", "recipients": [str(uid)], "kpis": ["revenue_minor", "nps"]})
    assert r.status_code == 200 and 'data-schedule="每月"' in r.text, r.text
    with runtime.factory() as session:
        [row] = scheduled_reports.list_schedules(session)
        assert (row.frequency, row.day, row.recipients, row.kpis) == ("monthly", 3, [uid], ["revenue_minor", "nps"])
    bad = post_form(client, "/analytics/reports", "/analytics/reports",
                    {"name": "x", "frequency": "weekly", "day": "9", "recipients": [str(uid)]})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    gone = post_form(client, "/analytics/reports", f"/analytics/reports/{row.id}/delete")
    assert gone.status_code == 200 and 'data-schedule="每月"' not in gone.text
    zh = staff_client("analyst", locale="zh-CN").get("/analytics/reports").text
    assert "定期报表" in zh
