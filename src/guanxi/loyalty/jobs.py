"""The loyalty domain's scheduled work; each job may run twice, late, or on two workers at once."""

from __future__ import annotations

from guanxi.db import transaction
from guanxi.loyalty import earning, events, gifts, membership, person_hooks, referral, tiers  # noqa: F401  (person_hooks registers on import)
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets
from guanxi.scheduler.registry import job


@job("loyalty.credit_orders", every="minutely")
def credit_orders(ctx) -> dict:
    """Paid orders → pending points; refunds → reversals; closed return windows → available."""
    result = earning.credit_paid_orders(ctx.factory, now=ctx.now)
    result.update(earning.reverse_refunds(ctx.factory, now=ctx.now))
    result.update(earning.release_pending(ctx.factory, now=ctx.now))
    result.update(referral.reward_due(ctx.factory, now=ctx.now))
    result.update(gifts.run(ctx.factory, now=ctx.now))
    return result


@job("loyalty.credit_events", every="minutely")
def credit_events(ctx) -> dict:
    """Sign-ups, shares, surveys, check-ins… from the customers domain's event feed → event rules."""
    return events.credit_feed(ctx.factory, now=ctx.now)


@job("loyalty.birthdays", every="daily")
def grant_birthdays(ctx) -> dict:
    """Birthday points on each member's local birthday (the day after, when the run was late)."""
    cipher = PiiCipher(read_secrets(ctx.settings.secrets_path))
    return events.grant_birthdays(ctx.factory, cipher, now=ctx.now)


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
