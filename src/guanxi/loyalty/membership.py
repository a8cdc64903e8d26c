"""Paid membership (付费会员): plans, subscriptions renewed by payment webhooks, grace and expiry.

States: trial → active (paid) → grace (period over, unpaid, benefits kept for a few days) →
expired; cancelled keeps the benefits to the end of the paid period. A payment is idempotent
on its provider id, so a repeated webhook extends nothing twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.errors import Invalid, NotFound
from guanxi.loyalty.expiry import add_months
from guanxi.loyalty.models import MembershipPayment, MembershipPlan, Subscription

BENEFITS_STATES = ("trial", "active", "grace", "cancelled")


def _months_after(at: dt.datetime, months: int) -> dt.datetime:
    day = add_months(at.date(), months)
    return dt.datetime.combine(day, at.timetz())


def plan(session: Session, code: str) -> MembershipPlan:
    row = session.scalar(select(MembershipPlan).where(MembershipPlan.code == code))
    if row is None:
        raise NotFound(f"no membership plan {code!r}")
    return row


def put_plan(session: Session, **fields) -> tuple[MembershipPlan, bool]:
    row = session.scalar(select(MembershipPlan).where(MembershipPlan.code == fields["code"]))
    created = row is None
    if created:
        row = MembershipPlan(**fields)
        session.add(row)
    else:
        for key, value in fields.items():
            setattr(row, key, value)
    session.flush()
    return row, created


def start_trial(session: Session, customer_id: int, code: str, *, now: dt.datetime | None = None) -> Subscription:
    now = now or utcnow()
    p = plan(session, code)
    customer_id = profiles.live_customer(session, customer_id).id
    sub = session.get(Subscription, customer_id)
    if sub is not None:
        raise Invalid("a trial is for members who never subscribed")
    if p.trial_days <= 0:
        raise Invalid(f"plan {code!r} has no trial")
    sub = Subscription(customer_id=customer_id, plan_code=code, status="trial", started_at=now,
                       period_end=now + dt.timedelta(days=p.trial_days), updated_at=now)
    session.add(sub)
    session.flush()
    return sub


def record_payment(session: Session, customer_id: int, code: str, external_id: str, amount_minor: int,
                   currency: str, *, paid_at: dt.datetime | None = None) -> tuple[Subscription, bool]:
    """A paid period: starts or renews the subscription from the later of now and its current end."""
    paid_at = paid_at or utcnow()
    customer_id = profiles.live_customer(session, customer_id).id
    seen = session.scalar(select(MembershipPayment).where(MembershipPayment.external_id == external_id))
    if seen is not None:
        return session.get(Subscription, seen.customer_id), False
    p = plan(session, code)
    if amount_minor < p.price_minor or currency != p.currency:
        raise Invalid(f"plan {code!r} costs {p.price_minor} {p.currency}")
    sub = session.get(Subscription, customer_id, with_for_update=True)
    if sub is None:
        sub = Subscription(customer_id=customer_id, plan_code=code, status="active", started_at=paid_at,
                           period_end=paid_at)
        session.add(sub)
    # A renewal continues the paid cycle (also from grace); a new start or a trial counts from the payment.
    start = sub.period_end if sub.status in ("active", "grace", "cancelled") and sub.period_end > sub.started_at \
        else paid_at
    sub.plan_code, sub.status, sub.cancelled_at = code, "active", None
    sub.period_end = _months_after(start, p.period_months)
    sub.updated_at = paid_at
    session.add(MembershipPayment(external_id=external_id, customer_id=customer_id, plan_code=code,
                                  amount_minor=amount_minor, currency=currency, paid_at=paid_at,
                                  period_end=sub.period_end))
    session.flush()
    return sub, True


def cancel(session: Session, customer_id: int, *, now: dt.datetime | None = None) -> Subscription:
    now = now or utcnow()
    sub = session.get(Subscription, profiles.live_customer(session, customer_id).id)
    if sub is None:
        raise NotFound(f"customer {customer_id} has no membership")
    if sub.status in ("active", "trial", "grace"):
        sub.status, sub.cancelled_at, sub.updated_at = "cancelled", now, now
    session.flush()
    return sub


def advance(session: Session, now: dt.datetime) -> dict:
    """The daily state changes: period over → grace (or expired when cancelled or a trial) → expired."""
    moved = {"grace": 0, "expired": 0}
    plans = {p.code: p for p in session.scalars(select(MembershipPlan))}
    for sub in session.scalars(select(Subscription).where(Subscription.status.in_(BENEFITS_STATES),
                                                          Subscription.period_end <= now)):
        grace = dt.timedelta(days=plans[sub.plan_code].grace_days if sub.plan_code in plans else 0)
        if sub.status == "active" and now < sub.period_end + grace:
            sub.status = "grace"
            moved["grace"] += 1
        elif sub.status in ("trial", "cancelled") or now >= sub.period_end + grace:
            sub.status = "expired"
            moved["expired"] += 1
        sub.updated_at = now
    session.flush()
    return moved


def benefits_of(session: Session, customer_id: int) -> dict:
    """The plan's benefits while the membership counts (trial, active, grace, or cancelled to period end)."""
    sub = session.get(Subscription, customer_id)
    if sub is None or sub.status not in BENEFITS_STATES:
        return {}
    return plan(session, sub.plan_code).benefits or {}


def report(session: Session, since: dt.datetime) -> dict:
    """Paid members, churn since `since`, and revenue since then per currency."""
    by_status = dict(session.execute(select(Subscription.status, func.count()).group_by(Subscription.status)).all())
    revenue = {cur: int(total) for cur, total in session.execute(
        select(MembershipPayment.currency, func.sum(MembershipPayment.amount_minor))
        .where(MembershipPayment.paid_at >= since).group_by(MembershipPayment.currency))}
    churned = session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.status == "expired", Subscription.updated_at >= since))
    return {"members": {k: int(v) for k, v in by_status.items()}, "churned": int(churned), "revenue_minor": revenue}


def member_since(session: Session) -> dict[int, dt.datetime]:
    """customer id -> when their current paid membership started (trial, active or in grace)."""
    return dict(session.execute(select(Subscription.customer_id, Subscription.started_at)
                                .where(Subscription.status.in_(("trial", "active", "grace")))).all())
