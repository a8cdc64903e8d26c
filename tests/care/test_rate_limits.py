"""Per-channel rate limits: the pure window logic, and two drains sharing one budget on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from guanxi.care.models import OutboxMessage, RateCounter
from guanxi.care.rate_limits import RateLimit, decide, parse_limits, windows
from guanxi.care.settings import CareSettings

from .test_outbox import drain, queue

T = dt.datetime(2026, 3, 10, 12, 0, 0, 250000, tzinfo=dt.UTC)


def test_parse_limits():
    assert parse_limits('{"sms": {"per_second": 20, "per_day": 10000}, "email": {"per_day": 5}}') == {
        "sms": RateLimit(20, 10000), "email": RateLimit(None, 5)}
    assert parse_limits("") == {} and parse_limits({}) == {}


@pytest.mark.parametrize("raw", ['{"sms": {"per_minute": 3}}', '{"sms": {"per_second": 0}}', '{"sms": {}}',
                                 '{"sms": 20}', '[1]', '{"sms": {"per_day": true}}', '{"sms": {"per_day": "5"}}'])
def test_parse_limits_rejects(raw):
    with pytest.raises(ValueError):
        parse_limits(raw)


def test_a_bad_setting_fails_at_start_up():
    with pytest.raises(ValueError, match="per_second"):
        CareSettings(_env_file=None, rate_limits={"sms": {"per_second": -1}})


def test_windows_are_the_utc_day_and_the_second():
    day, second = windows(RateLimit(2, 100), T)
    assert day.key == "d:2026-03-10" and day.next_start == dt.datetime(2026, 3, 11, tzinfo=dt.UTC)
    assert second.key == f"s:{int(T.timestamp())}" and second.next_start == T.replace(microsecond=0) + dt.timedelta(seconds=1)
    assert windows(RateLimit(), T) == []


def test_over_the_second_waits_for_the_next_second():
    limit = RateLimit(per_second=2)
    key = windows(limit, T)[0].key
    assert decide({key: 1}, limit, T) is None
    assert decide({key: 2}, limit, T) == dt.datetime(2026, 3, 10, 12, 0, 1, tzinfo=dt.UTC)
    assert decide({key: 2}, limit, T + dt.timedelta(seconds=1)) is None  # a new second, a new budget


def test_over_the_day_waits_for_the_next_utc_day_even_with_seconds_free():
    limit = RateLimit(per_second=20, per_day=3)
    assert decide({"d:2026-03-10": 3}, limit, T) == dt.datetime(2026, 3, 11, tzinfo=dt.UTC)
    assert decide({"d:2026-03-10": 3}, limit, dt.datetime(2026, 3, 11, 0, 0, 1, tzinfo=dt.UTC)) is None


def _statuses(runtime) -> dict[str, int]:
    with runtime.factory() as session:
        return dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def test_two_drains_share_the_per_second_limit_and_the_rest_wait(runtime, smtp, care_settings, person):
    ids = [person() for _ in range(5)]
    for cid in ids:
        for n in range(2):
            queue(runtime, cid, key=f"r{cid}-{n}", purpose="service", subject=f"s{n}")
    care = care_settings.model_copy(update={"batch_size": 2, "rate_limits": {"email": {"per_second": 3}}})
    reports = []
    threads = [threading.Thread(target=lambda o=o: reports.append(drain(runtime, care, now=T, owner=o)))
               for o in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Both workers drained at the same second: three went out between them, seven wait, none failed.
    assert sum(r["sent"] for r in reports) == 3 and len(smtp.messages) == 3
    assert sum(r["reasons"].get("rate_limit", 0) for r in reports) == 7
    assert _statuses(runtime) == {"sent": 3, "queued": 7}
    with runtime.factory() as session:
        waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")).all()
        assert {m.reason for m in waiting} == {"rate_limit"} and {m.attempts for m in waiting} == {0}
        assert {m.next_attempt_at for m in waiting} == {T.replace(microsecond=0) + dt.timedelta(seconds=1)}
    # The next seconds send them, three a second, each message once.
    for step in (1, 2, 3):
        drain(runtime, care, now=T + dt.timedelta(seconds=step), owner=f"w{step}")
    assert _statuses(runtime) == {"sent": 10}
    assert len({m["Message-ID"] for m in smtp.messages}) == 10


def test_daily_cap_holds_until_the_next_utc_day(runtime, smtp, care_settings, person):
    cid = person()
    for n in range(3):
        queue(runtime, cid, key=f"d{cid}-{n}", purpose="service", subject=f"s{n}")
    care = care_settings.model_copy(update={"rate_limits": {"email": {"per_day": 2}, "sms": {"per_day": 1}}})
    assert drain(runtime, care, now=T)["sent"] == 2
    assert drain(runtime, care, now=T + dt.timedelta(hours=11))["sent"] == 0  # still 10 March
    assert drain(runtime, care, now=dt.datetime(2026, 3, 11, 0, 0, 5, tzinfo=dt.UTC))["sent"] == 1
    with runtime.factory() as session:
        used = dict(session.execute(select(RateCounter.window, RateCounter.used)).all())
    assert used == {"d:2026-03-10": 2, "d:2026-03-11": 1}
    # Counters of long-past windows are swept by a later drain.
    drain(runtime, care, now=dt.datetime(2026, 3, 20, tzinfo=dt.UTC))
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(RateCounter)) == 0
