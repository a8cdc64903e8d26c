"""Scheduled KPI reports on SQLite and PostgreSQL: due on their day, about the period before, mailed to
the chosen staff through a real SMTP server on loopback, once per period however often the job runs."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.analytics import jobs, scheduled_reports
from guanxi.analytics.scheduled_reports import ScheduleSpec
from guanxi.db import transaction
from guanxi.errors import Invalid
from guanxi.staff import service as staff_service
from guanxi.staff.roles import SYSTEM
from guanxi.worker import JobContext
from tests.analytics.test_domain_kpis import seed

D = dt.date


@pytest.mark.parametrize("frequency, today, label, start, end", [
    ("weekly", D(2026, 4, 1), "2026-W13", D(2026, 3, 23), D(2026, 3, 29)),      # a Wednesday
    ("weekly", D(2026, 3, 29), "2026-W12", D(2026, 3, 16), D(2026, 3, 22)),     # a Sunday: still last week
    ("weekly", D(2026, 1, 5), "2026-W01", D(2025, 12, 29), D(2026, 1, 4)),      # ISO week across the year
    ("monthly", D(2026, 4, 1), "2026-03", D(2026, 3, 1), D(2026, 3, 31)),
    ("monthly", D(2026, 1, 20), "2025-12", D(2025, 12, 1), D(2025, 12, 31)),
    ("monthly", D(2026, 3, 28), "2026-02", D(2026, 2, 1), D(2026, 2, 28)),
])
def test_the_period_a_report_covers(frequency, today, label, start, end):
    assert scheduled_reports.covered(frequency, today) == (label, start, end)


def test_due_on_and_after_its_day():
    assert not scheduled_reports.is_due("weekly", 3, D(2026, 3, 31))            # Tuesday, report on Wednesday
    assert scheduled_reports.is_due("weekly", 3, D(2026, 4, 1))
    assert scheduled_reports.is_due("weekly", 3, D(2026, 4, 5))                 # late: the worker was down
    assert not scheduled_reports.is_due("monthly", 5, D(2026, 4, 4))
    assert scheduled_reports.is_due("monthly", 5, D(2026, 4, 5))


def _staff(runtime) -> tuple[int, int, int]:
    with transaction(runtime.factory) as session:
        users = [staff_service.create_user(session, email=f"{n}@shop.example", password="correct-horse-1",
                                           role=role, name=n)
                 for n, role in (("boss", "admin"), ("ops", "operations"), ("gone", "analyst"))]
        return tuple(u.id for u in users)


def _job(runtime, now: dt.datetime) -> dict:
    return jobs.send_reports(JobContext(runtime.factory, runtime.settings, now, "test"))


def test_a_monthly_report_is_mailed_once_with_the_figures_in_the_shops_locale(runtime, mailbox):
    seed(runtime)
    boss, ops, gone = _staff(runtime)
    with transaction(runtime.factory) as session:
        scheduled_reports.create(session, SYSTEM, ScheduleSpec(
            name="月报", frequency="monthly", day=2, recipients=[boss, ops, gone],
            kpis=["revenue_minor", "points_liability_minor", "nps", "redemption_rate"]))
        staff_service.disable_user(session, "gone@shop.example")
    assert _job(runtime, dt.datetime(2026, 3, 31, 16, tzinfo=dt.UTC)) == {"reports": 0, "mails": 0}  # 04-01 local
    first = _job(runtime, dt.datetime(2026, 4, 2, 1, tzinfo=dt.UTC))           # 2 April in Shanghai: due
    assert first == {"reports": 1, "mails": 2}
    assert _job(runtime, dt.datetime(2026, 4, 2, 2, tzinfo=dt.UTC)) == {"reports": 0, "mails": 0}   # rerun
    assert _job(runtime, dt.datetime(2026, 4, 20, 2, tzinfo=dt.UTC)) == {"reports": 0, "mails": 0}  # same month
    assert sorted(m["To"] for m in mailbox.messages) == ["boss@shop.example", "ops@shop.example"]
    msg = mailbox.to("boss@shop.example")[0]
    assert msg["Subject"] == "月报：2026-03 的数据"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "¥150.00" in html and "¥12.00" in html and "25.00" in html and "30.0%" in html   # zh-CN, CNY
    assert 'data-kpi="revenue_minor"' in html and 'data-kpi="csat"' not in html            # only the KPIs chosen
    assert "2026年3月1日" in html and "积分负债: ¥12.00" in text
    with runtime.factory() as session:
        [sent] = scheduled_reports.sends_of(session, scheduled_reports.list_schedules(session)[0].id)
        assert (sent.period, sent.recipients, sent.delivered) == ("2026-03", 2, 2)
    assert _job(runtime, dt.datetime(2026, 5, 2, 2, tzinfo=dt.UTC))["reports"] == 1           # next month's


def test_a_weekly_report_follows_its_weekday(runtime, mailbox):
    boss, _, _ = _staff(runtime)
    with transaction(runtime.factory) as session:
        scheduled_reports.create(session, SYSTEM, ScheduleSpec(name="weekly", frequency="weekly", day=1,
                                                               recipients=[boss]))
    monday = dt.datetime(2026, 3, 30, 2, tzinfo=dt.UTC)
    assert _job(runtime, monday) == {"reports": 1, "mails": 1}
    assert _job(runtime, monday + dt.timedelta(days=3)) == {"reports": 0, "mails": 0}
    assert _job(runtime, monday + dt.timedelta(days=7)) == {"reports": 1, "mails": 1}
    assert [m["Subject"] for m in mailbox.messages] == ["weekly：2026-W13 的数据", "weekly：2026-W14 的数据"]
    html = mailbox.messages[0].get_body(("html",)).get_content()
    assert all(f'data-kpi="{k}"' in html for k in ("active_customers", "campaign_uplift"))    # empty list: all


@pytest.mark.parametrize("change, where", [
    ({"name": " "}, "name"), ({"frequency": "daily"}, "frequency"), ({"day": 8}, "day"),
    ({"frequency": "monthly", "day": 29}, "day"), ({"kpis": ["profit"]}, "kpis"), ({"kpis": ["nps", "nps"]}, "kpis"),
    ({"recipients": []}, "recipients"), ({"recipients": [999999]}, "recipients"),
])
def test_bad_schedules_are_refused(runtime, change, where):
    boss, _, _ = _staff(runtime)
    spec = {"name": "r", "frequency": "weekly", "day": 1, "recipients": [boss], **change}
    with transaction(runtime.factory) as session, pytest.raises(Invalid) as caught:
        scheduled_reports.create(session, SYSTEM, ScheduleSpec(**spec))
    assert caught.value.errors[0]["loc"] == ["body", where]
