"""Points and store credit on the customer 360 (balances, ledgers, goodwill) and on the member page
(points, rewards, store credit)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.loyalty import catalogue, points, store, wallet
from guanxi.money import to_minor
from guanxi.loyalty.ledger import InsufficientPoints
from guanxi.staff.roles import Perm
from guanxi.web import sections
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.member_auth import Member
from guanxi.web.rendering import state_of

router = APIRouter()
FormShort = Annotated[str, Form(max_length=500)]

ENTRY_LABELS = {"earn": N_("Earned"), "adjust": N_("Goodwill"), "spend": N_("Redeemed"), "lock": N_("Reserved"),
                "release": N_("Given back"), "confirm": N_("Confirmed"), "expire": N_("Expired"),
                "reverse": N_("Refund")}
EVENT_LABELS = {"sign_up": N_("Sign-up"), "profile_completed": N_("Profile completed"), "birthday": N_("Birthday"),
                "review": N_("Review"), "share": N_("Share"), "survey_answered": N_("Survey answered"),
                "check_in": N_("Check-in"), "referral": N_("Referral")}
GIFT_STATUS = {"granted": N_("On its way"), "shipped": N_("Shipped"), "reversed": N_("Withdrawn after a refund"),
               "unavailable": N_("Out of stock")}


@sections.customer_section("points", N_("Points and tier"), "loyalty/_customer_points.html",
                           perm=Perm.customers_read, order=20)
def customer_points(session, runtime, customer_id: int) -> dict:
    return {"points": points.summary(session, customer_id, days=60),
            "entries": points.ledger_of(session, customer_id, limit=15), "labels": ENTRY_LABELS,
            "events": EVENT_LABELS, "gift_status": GIFT_STATUS, "customer_id": customer_id}


@sections.customer_section("goodwill", N_("Goodwill points"), "loyalty/_customer_goodwill.html",
                           perm=Perm.loyalty_adjust, order=21)
def customer_goodwill(session, runtime, customer_id: int) -> dict:
    # A fresh key per form shown: a double submit grants once, a second grant later is its own.
    return {"customer_id": customer_id, "key": secrets.token_hex(8)}


@router.post("/customers/{customer_id}/points/adjustments")
def grant_goodwill(customer_id: int, request: Request, actor: page_for(Perm.loyalty_adjust), session: SessionDep,
                   points_text: Annotated[str, Form(alias="points", max_length=12)] = "", reason: FormShort = "",
                   key: Annotated[str, Form(max_length=100)] = ""):
    """Staff goodwill from the 360 page; the same limits and audit as the API."""
    t = state_of(request).t
    try:
        amount = int(points_text.strip())
    except ValueError:
        raise Invalid(t.gettext("Points are a whole number, e.g. 200 or -50.")) from None
    if not reason.strip():
        raise Invalid(t.gettext("Give a reason."))
    points.adjust(session, customer_id, amount, reason.strip(), f"web:{key or secrets.token_hex(8)}", actor)
    session.commit()
    return RedirectResponse(f"/customers/{customer_id}#points", status_code=303)


@sections.member_section("points", N_("My points"), "loyalty/_member_points.html", order=20)
def member_points(session, runtime, customer_id: int) -> dict:
    return {"points": points.summary(session, customer_id, days=60),
            "entries": points.ledger_of(session, customer_id, limit=10), "labels": ENTRY_LABELS,
            "events": EVENT_LABELS, "gift_status": GIFT_STATUS}


@sections.member_section("rewards", N_("Rewards"), "loyalty/_member_rewards.html", order=21)
def member_rewards(session, runtime, customer_id: int) -> dict:
    return {"rewards": [r for r in catalogue.rewards(session, active_only=True) if r.stock is None or r.stock > 0],
            "available": store.balance_of(session, customer_id)["available"]}


@router.post("/m/rewards/{reward_id}/redemptions")
def member_redeems(reward_id: int, request: Request, member: Member, session: SessionDep,
                   key: Annotated[str, Form(max_length=100)] = ""):
    """A member spends points on a reward; a double click (same form key) redeems once."""
    try:
        points.redeem(session, member.id, key or f"web:{reward_id}", reward_id=reward_id)
        session.commit()
    except InsufficientPoints:
        session.rollback()
        raise Invalid(state_of(request).t.gettext("Not enough points for this reward.")) from None
    except GuanxiError:
        session.rollback()
        raise
    return RedirectResponse("/m/#rewards", status_code=303)


WALLET_LABELS = {"credit": N_("Credit"), "debit": N_("Spent"), "reversal": N_("Reversed")}


@sections.customer_section("wallet", N_("Store credit"), "loyalty/_customer_wallet.html",
                           perm=Perm.customers_read, order=22)
def customer_wallet(session, runtime, customer_id: int) -> dict:
    return {"balances": wallet.balances(session, customer_id), "entries": wallet.entries_of(session, customer_id, 15),
            "labels": WALLET_LABELS}


@sections.customer_section("wallet_goodwill", N_("Goodwill store credit"), "loyalty/_customer_wallet_goodwill.html",
                           perm=Perm.loyalty_adjust, order=23)
def customer_wallet_goodwill(session, runtime, customer_id: int) -> dict:
    return {"customer_id": customer_id, "key": secrets.token_hex(8),
            "currency": store.program_settings(session).credit_currency or "CNY"}


@router.post("/customers/{customer_id}/wallet/credits")
def grant_store_credit(customer_id: int, request: Request, actor: page_for(Perm.loyalty_adjust),
                       session: SessionDep, amount: Annotated[str, Form(max_length=20)] = "",
                       currency: Annotated[str, Form(max_length=3)] = "CNY", reason: FormShort = "",
                       key: Annotated[str, Form(max_length=100)] = ""):
    """Goodwill money from the 360 page (an amount like 12.50); the same limits and audit as the API."""
    t = state_of(request).t
    currency = currency.strip().upper()
    try:
        minor = to_minor(amount, currency)
    except ValueError:
        raise Invalid(t.gettext("The amount is a sum of money, e.g. 20 or 12.50.")) from None
    wallet.goodwill(session, customer_id, minor, currency, reason, f"web:{key or secrets.token_hex(8)}", actor)
    session.commit()
    return RedirectResponse(f"/customers/{customer_id}#wallet", status_code=303)


@sections.member_section("wallet", N_("My store credit"), "loyalty/_member_wallet.html", order=22)
def member_wallet(session, runtime, customer_id: int) -> dict:
    return {"balances": wallet.balances(session, customer_id), "entries": wallet.entries_of(session, customer_id, 10),
            "labels": WALLET_LABELS}
