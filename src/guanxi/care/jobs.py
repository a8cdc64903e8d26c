"""Scheduled care work: drain the outbox every minute, run the triggers every hour.

Both are safe to run late, twice or on two workers at once: the outbox is claimed row by row
under a lease, and a trigger chooses each customer once per (campaign, period).
"""

from __future__ import annotations

from guanxi.care import privacy_hooks  # noqa: F401  (timeline, export and erasure hooks)
from guanxi.care.delivery import run_drain
from guanxi.care.journey_runner import advance
from guanxi.care.settings import load_care_settings
from guanxi.care.triggers import run_triggers
from guanxi.privacy.crypto import PiiCipher
from guanxi.privacy.secrets import read_secrets
from guanxi.scheduler.registry import job


def _keys(ctx) -> tuple[PiiCipher, str]:
    secrets = read_secrets(ctx.settings.secrets_path)
    return PiiCipher(secrets, reload=lambda: read_secrets(ctx.settings.secrets_path)), secrets.session_secret


@job("care.drain_outbox", every="minutely")
def drain_outbox(ctx) -> dict:
    cipher, secret = _keys(ctx)
    return run_drain(ctx.factory, ctx.settings, cipher, secret, load_care_settings(), owner=ctx.owner)


@job("care.run_triggers", every="hourly")
def run_care_triggers(ctx) -> dict:
    # Hourly, because a customer's day starts at their own midnight: each zone's turn comes within the hour.
    cipher, secret = _keys(ctx)
    results = run_triggers(ctx.factory, cipher, secret, load_care_settings(), now=ctx.now)
    return {"campaigns": len(results), "queued": sum(r["queued"] for r in results.values()),
            "chosen": sum(r["chosen"] for r in results.values())}


@job("care.advance_journeys", every="minutely")
def advance_journeys(ctx) -> dict:
    # Under the job lease once per minute; each customer's move is itself guarded, so overlap is harmless.
    cipher, secret = _keys(ctx)
    return advance(ctx.factory, cipher, secret, load_care_settings(), now=ctx.now)
