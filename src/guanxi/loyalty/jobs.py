"""The loyalty domain's scheduled work; each job may run twice, late, or on two workers at once."""

from __future__ import annotations

from guanxi.db import transaction
from guanxi.loyalty import earning, membership, person_hooks, referral, tiers  # noqa: F401  (person_hooks registers on import)
from guanxi.scheduler.registry import job


@job("loyalty.credit_orders", every="minutely")
def credit_orders(ctx) -> dict:
    """Paid orders → pending points; refunds → reversals; closed return windows → available."""
    result = earning.credit_paid_orders(ctx.factory, now=ctx.now)
    result.update(earning.reverse_refunds(ctx.factory, now=ctx.now))
    result.update(earning.release_pending(ctx.factory, now=ctx.now))
    result.update(referral.reward_due(ctx.factory, now=ctx.now))
    return result


@job("loyalty.expire_points", every="hourly")
def expire_points(ctx) -> dict:
    """Hourly, so points expire within the hour of midnight in every member's time zone."""
    return earning.expire_points(ctx.factory, now=ctx.now)


@job("loyalty.evaluate_tiers", every="daily")
def evaluate_tiers(ctx) -> dict:
    return tiers.evaluate_all(ctx.factory, now=ctx.now)


@job("loyalty.memberships", every="hourly")
def advance_memberships(ctx) -> dict:
    """Paid memberships past their period: grace, then expired."""
    with transaction(ctx.factory) as session:
        return membership.advance(session, ctx.now)
