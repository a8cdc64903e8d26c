"""The KPIs whose figures live in other domains (loyalty, service, care), read through their functions.

The formulas are in kpis.py; this module only turns a period of shop days into UTC instants and asks
each domain for its counts.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from guanxi.analytics import kpis
from guanxi.care import campaigns
from guanxi.config import Settings
from guanxi.loyalty import referral
from guanxi.loyalty import reports as loyalty_reports
from guanxi.service import reports as service_reports


def instants(start: dt.date, end: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end] as shop days -> [since, until) in UTC."""
    tz = ZoneInfo(timezone)
    since = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return since.astimezone(dt.UTC), until.astimezone(dt.UTC)


def figures(session: Session, settings: Settings, *, start: dt.date, end: dt.date, new_customers: set[int]) -> dict:
    since, until = instants(start, end, settings.default_timezone)
    referred = referral.referred_among(session, new_customers)
    points = loyalty_reports.points_between(session, since, until)
    outstanding = loyalty_reports.outstanding_at(session, until)
    satisfaction = service_reports.satisfaction(session, since, until)
    holdout = campaigns.holdout_figures(session, since, until)
    return {
        "referred_new_customers": len(referred & new_customers),
        "referral_rate": kpis.referral_rate(new_customers, referred),
        "points_outstanding": outstanding,
        "points_liability_minor": kpis.points_liability_minor(outstanding, settings.point_value_minor),
        "points_earned": points["earned"], "points_redeemed": points["redeemed"],
        "redemption_rate": kpis.redemption_rate(points["redeemed"], points["earned"]),
        "csat": satisfaction["csat"], "csat_answers": satisfaction["csat_answers"],
        "nps": satisfaction["nps"], "nps_answers": satisfaction["nps_answers"],
        "campaign_uplift": {"campaigns": holdout["campaigns"], **kpis.campaign_uplift(
            holdout["recipients"], holdout["converted"], holdout["control"], holdout["control_converted"])},
    }
