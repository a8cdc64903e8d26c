"""The loyalty programme's admin pages, under one menu entry: earning rules (versions, JSON editing with
the server's validation errors, a sample-cart preview), rewards, tiers, paid-membership plans and reports."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from guanxi.deps import SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.loyalty import catalogue, membership, reports
from guanxi.loyalty.models import MembershipPlan
from guanxi.loyalty.schemas import PlanWrite, PreviewCreate, RewardCreate, RuleCreate, TierWrite
from guanxi.money import to_minor
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render, state_of

router = APIRouter()
menu.add("loyalty", N_("Loyalty"), "/loyalty/rules", Perm.loyalty_configure, order=35)
Configurer = page_for(Perm.loyalty_configure)
Short = Annotated[str, Form(max_length=200)]
Json = Annotated[str, Form(max_length=50_000)]
TABS = [("rules", N_("Earning rules"), "/loyalty/rules"), ("rewards", N_("Rewards"), "/loyalty/rewards"),
        ("tiers", N_("Tiers"), "/loyalty/tiers"), ("plans", N_("Paid membership"), "/loyalty/plans"),
        ("reports", N_("Reports"), "/loyalty/reports")]
SAMPLE_CART = {"total_minor": 25800, "shipping_minor": 0, "currency": "CNY", "channel": "wechat",
               "lines": [{"sku": "LIP-01", "quantity": 2, "unit_price_minor": 12900, "category": "beauty/lips"}]}


def _json(text: str, what: str) -> dict:
    """A JSON object typed by staff; Invalid says where it breaks."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise Invalid(f"{what}: not valid JSON — {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(value, dict):
        raise Invalid(f"{what}: a JSON object {{...}} is expected")
    return value


def _model(schema: type[BaseModel], data: dict) -> BaseModel:
    """The API's request model, so the pages refuse exactly what the API refuses, field by field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise Invalid("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()),
                      errors=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]) from None


def _int(text: str, field: str, *, optional: bool = False) -> int | None:
    text = (text or "").strip()
    if not text and optional:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid(f"{field}: a whole number") from None


def _render(request: Request, template: str, tab: str, context: dict, status: int = 200):
    return render(request, template, {"tabs": TABS, "tab": tab, "error": None, "form": {}, **context}, status=status)


# -- earning rules ---------------------------------------------------------------------------------

def _rules_context(session, rule: str = "") -> dict:
    current = catalogue.current_rules(session)
    chosen = next((r for r in current if r.name == rule), None)
    return {"rules": current, "chosen": chosen, "versions": catalogue.rule_versions(session, rule) if chosen else [],
            "pretty": lambda d: json.dumps(d, ensure_ascii=False, indent=2),
            "cart_text": json.dumps(SAMPLE_CART, indent=2), "preview": None}


@router.get("/loyalty/rules")
def rules_page(request: Request, actor: Configurer, session: SessionDep,
               rule: Annotated[str, Query(max_length=100)] = ""):
    return _render(request, "loyalty/admin_rules.html", "rules", _rules_context(session, rule))


def _rule_failed(request: Request, session, exc: GuanxiError, rule: str, form: dict):
    session.rollback()
    return _render(request, "loyalty/admin_rules.html", "rules",
                   {**_rules_context(session, rule), "error": exc.detail, "form": form}, status=422)


@router.post("/loyalty/rules")
def create_rule(request: Request, actor: Configurer, session: SessionDep, name: Short = "", definition: Json = "",
                active: Short = ""):
    form = {"name": name, "definition": definition, "active": bool(active)}
    try:
        body = _model(RuleCreate, {"name": name.strip(), "definition": _json(definition, "definition"),
                                   "active": bool(active)})
        catalogue.write_rule(session, body.name, body.definition, body.active, actor.ref, create=True)
    except GuanxiError as exc:
        return _rule_failed(request, session, exc, "", {"new": form})
    session.commit()
    return RedirectResponse(f"/loyalty/rules?rule={body.name}", status_code=303)


@router.post("/loyalty/rules/{name}")
def save_rule(name: str, request: Request, actor: Configurer, session: SessionDep, definition: Json = "",
              active: Short = ""):
    """A new version of the rule; the server's validation error is shown with the text as typed."""
    name = name[:100]
    try:
        catalogue.write_rule(session, name, _json(definition, "definition"), bool(active), actor.ref, create=False)
    except GuanxiError as exc:
        return _rule_failed(request, session, exc, name, {"edit": {"definition": definition, "active": bool(active)}})
    session.commit()
    return RedirectResponse(f"/loyalty/rules?rule={name}", status_code=303)


@router.post("/loyalty/rules-preview")
def preview_rules(request: Request, actor: Configurer, session: SessionDep, cart: Json = "", rule: Short = "",
                  definition: Json = ""):
    """Points a sample cart earns under the rules in force, or with the rule being edited as typed."""
    context = _rules_context(session, rule.strip())
    context["cart_text"] = cart
    if rule.strip() and definition.strip():
        context["form"] = {"edit": {"definition": definition, "active": True}}
    try:
        body = _model(PreviewCreate, _json(cart, "sample cart"))
        drafts = {rule.strip(): _json(definition, "definition")} if rule.strip() and definition.strip() else None
        context["preview"] = catalogue.preview(session, body, drafts=drafts)
    except GuanxiError as exc:
        session.rollback()
        return _render(request, "loyalty/admin_rules.html", "rules", {**context, "error": exc.detail}, status=422)
    return _render(request, "loyalty/admin_rules.html", "rules", context)


# -- rewards, tiers, plans -------------------------------------------------------------------------

def _simple(request: Request, session, tab: str, exc: GuanxiError | None = None, form: dict | None = None):
    if exc is None:
        session.commit()
        return RedirectResponse(f"/loyalty/{tab}", status_code=303)
    session.rollback()
    loaders = {"rewards": lambda: {"rewards": catalogue.rewards(session), "tiers": catalogue.tiers(session)},
               "tiers": lambda: {"tiers": catalogue.tiers(session)},
               "plans": lambda: {"plans": list(session.scalars(select(MembershipPlan).order_by(MembershipPlan.code)))}}
    context = {**loaders[tab](), "error": exc.detail, "form": form or {}}
    return _render(request, f"loyalty/admin_{tab}.html", tab, context, status=422)


@router.get("/loyalty/rewards")
def rewards_page(request: Request, actor: Configurer, session: SessionDep):
    return _render(request, "loyalty/admin_rewards.html", "rewards",
                   {"rewards": catalogue.rewards(session), "tiers": catalogue.tiers(session)})


@router.post("/loyalty/rewards")
def add_reward(request: Request, actor: Configurer, session: SessionDep, name: Short = "", kind: Short = "",
               points_cost: Short = "", stock: Short = "", per_member_limit: Short = "", min_tier: Short = "",
               details: Json = ""):
    form = {"name": name, "kind": kind, "points_cost": points_cost, "stock": stock,
            "per_member_limit": per_member_limit, "min_tier": min_tier, "details": details}
    try:
        body = _model(RewardCreate, {"name": name.strip(), "kind": kind, "points_cost": _int(points_cost, "points"),
                                     "stock": _int(stock, "stock", optional=True),
                                     "per_member_limit": _int(per_member_limit, "per member", optional=True),
                                     "min_tier": min_tier.strip() or None, "details": _json(details, "details")})
        catalogue.add_reward(session, **body.model_dump())
    except GuanxiError as exc:
        return _simple(request, session, "rewards", exc, form)
    return _simple(request, session, "rewards")


@router.post("/loyalty/rewards/{reward_id}/active")
def reward_active(reward_id: int, request: Request, actor: Configurer, session: SessionDep, active: Short = ""):
    try:
        catalogue.update_reward(session, reward_id, active=active == "1")
    except GuanxiError as exc:
        return _simple(request, session, "rewards", exc)
    return _simple(request, session, "rewards")


@router.get("/loyalty/tiers")
def tiers_page(request: Request, actor: Configurer, session: SessionDep):
    return _render(request, "loyalty/admin_tiers.html", "tiers", {"tiers": catalogue.tiers(session)})


@router.post("/loyalty/tiers")
def put_tier(request: Request, actor: Configurer, session: SessionDep, code: Short = "", name: Short = "",
             rank: Short = "", min_spend: Short = "", currency: Short = "CNY", min_orders: Short = "0",
             benefits: Json = ""):
    """Add a tier, or change the one with this code (the minimum spend is typed as money, e.g. 3000)."""
    form = {"code": code, "name": name, "rank": rank, "min_spend": min_spend, "min_orders": min_orders,
            "benefits": benefits}
    try:
        try:
            spend = to_minor(min_spend or "0", currency.strip().upper() or "CNY")
        except ValueError as exc:
            raise Invalid(f"minimum spend: {exc}") from None
        body = _model(TierWrite, {"code": code.strip(), "name": name.strip(), "rank": _int(rank, "rank"),
                                  "min_spend_minor": spend, "min_orders": _int(min_orders, "orders"),
                                  "benefits": _json(benefits, "benefits")})
        catalogue.put_tier(session, **body.model_dump())
    except GuanxiError as exc:
        return _simple(request, session, "tiers", exc, form)
    return _simple(request, session, "tiers")


@router.post("/loyalty/tiers/{code}/deletion")
def delete_tier(code: str, request: Request, actor: Configurer, session: SessionDep):
    try:
        catalogue.delete_tier(session, code[:40])
    except GuanxiError as exc:
        return _simple(request, session, "tiers", exc)
    return _simple(request, session, "tiers")


@router.get("/loyalty/plans")
def plans_page(request: Request, actor: Configurer, session: SessionDep):
    return _render(request, "loyalty/admin_plans.html", "plans",
                   {"plans": list(session.scalars(select(MembershipPlan).order_by(MembershipPlan.code)))})


@router.post("/loyalty/plans")
def put_plan(request: Request, actor: Configurer, session: SessionDep, code: Short = "", name: Short = "",
             period_months: Short = "", price: Short = "", currency: Short = "CNY", trial_days: Short = "0",
             grace_days: Short = "7", benefits: Json = "", active: Short = ""):
    """Add a paid-membership plan, or change the one with this code (the price typed as money, e.g. 99)."""
    form = {"code": code, "name": name, "period_months": period_months, "price": price, "currency": currency,
            "trial_days": trial_days, "grace_days": grace_days, "benefits": benefits}
    try:
        currency = currency.strip().upper()
        try:
            price_minor = to_minor(price or "", currency)
        except ValueError as exc:
            raise Invalid(f"price: {exc}") from None
        body = _model(PlanWrite, {"code": code.strip(), "name": name.strip(),
                                  "period_months": _int(period_months, "period"), "price_minor": price_minor,
                                  "currency": currency, "trial_days": _int(trial_days, "trial days"),
                                  "grace_days": _int(grace_days, "grace days"),
                                  "benefits": _json(benefits, "benefits"), "active": bool(active)})
        membership.put_plan(session, **body.model_dump())
    except GuanxiError as exc:
        return _simple(request, session, "plans", exc, form)
    return _simple(request, session, "plans")


# -- reports ---------------------------------------------------------------------------------------

@router.get("/loyalty/reports")
def reports_page(request: Request, actor: Configurer, session: SessionDep,
                 value: Annotated[str, Query(max_length=20)] = "1"):
    """Liability, points flow per month with redemption rate and breakage, top rewards, tier distribution."""
    t = state_of(request).t
    try:
        per_point = float(value)
        if not 0 <= per_point <= 1_000_000:
            raise ValueError
    except ValueError:
        raise Invalid(t.gettext("The value of a point is a number of minor units, e.g. 1 or 0.5.")) from None
    monthly = reports.monthly_flow(session)
    tiers = reports.tier_distribution(session)
    chart = {"months": [m["month"] for m in monthly],
             "series": {k: [m[k] for m in monthly] for k in ("earned", "redeemed", "expired")}}
    return _render(request, "loyalty/admin_reports.html", "reports", {
        "liability": reports.liability(session, per_point), "store_credit": reports.store_credit(session),
        "monthly": monthly, "top": reports.top_rewards(session), "tiers": tiers, "value": value,
        "flow_chart": json.dumps(chart), "tier_chart": json.dumps([{"name": k, "value": v} for k, v in tiers.items()]),
        "series_labels": json.dumps({"earned": t.gettext("Earned"), "redeemed": t.gettext("Redeemed"),
                                     "expired": t.gettext("Expired")}, ensure_ascii=False)})
