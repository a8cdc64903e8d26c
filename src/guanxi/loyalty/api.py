"""Loyalty over HTTP: a member's points, goodwill adjustments, redemptions, and the programme's set-up."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from guanxi.customers import profiles
from guanxi.db import utcnow
from guanxi.deps import CustomerReader, CustomerWriter, LoyaltyAdjuster, LoyaltyConfigurer, OrderWriter, SessionDep
from guanxi.errors import Invalid, NotFound
from guanxi.loyalty import (  # noqa: F401  (person_hooks registers the customer hooks)
    budgets, catalogue, earning, events, gifts, membership, person_hooks, points, referral, reports,
    rules as rules_engine, store, tiers,
)
from guanxi.loyalty import coupons_api, wallet_api
from guanxi.loyalty.models import MembershipPlan, Subscription
from guanxi.loyalty.schemas import (
    AdjustmentCreate, AdjustmentPublic, EntryPublic, EventCreate, EventPublic, GiftPublic, PointsPublic, PreviewCreate, PreviewPublic, RedemptionCreate,
    ReferralCreate, ReferralPublic, ReferralsPublic, PlanWrite, PlanPublic, MembershipPaymentCreate,
    MembershipPublic,
    RedemptionPublic, RewardCreate, RewardPublic, RewardUpdate, RulePublic, RuleCreate, RuleWrite, SettingsPublic,
    SettingsWrite, TierPublic, TierWrite,
)
from guanxi.schemas import IdPath

router = APIRouter(prefix="/api/v1", tags=["loyalty"])
router.include_router(wallet_api.router)
router.include_router(coupons_api.router)
RuleName = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


@router.get("/customers/{customer_id}/points", response_model=PointsPublic)
def get_points(customer_id: IdPath, actor: CustomerReader, session: SessionDep,
               days: Annotated[int, Query(ge=1, le=366, description="expiring within this many days")] = 30
               ) -> PointsPublic:
    return PointsPublic(**points.summary(session, customer_id, days=days))


@router.get("/customers/{customer_id}/points/entries", response_model=list[EntryPublic])
def get_entries(customer_id: IdPath, actor: CustomerReader, session: SessionDep,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[EntryPublic]:
    """The member's ledger, newest first."""
    customer_id = profiles.live_customer(session, customer_id).id
    return [EntryPublic.model_validate(e) for e in points.ledger_of(session, customer_id, limit)]


@router.post("/customers/{customer_id}/points/adjustments", response_model=AdjustmentPublic, status_code=201,
             responses={200: {"model": AdjustmentPublic, "description": "The same idempotency key seen before"}})
def create_adjustment(customer_id: IdPath, body: AdjustmentCreate, actor: LoyaltyAdjuster, session: SessionDep,
                      response: Response) -> AdjustmentPublic:
    """Staff goodwill (negative allowed), within the role's limit; audited."""
    done = points.adjust(session, customer_id, body.points, body.reason, body.idempotency_key, actor)
    session.commit()
    response.status_code = 201 if done.created else 200
    available = points.summary(session, customer_id)["available"]
    return AdjustmentPublic(entry_id=done.entry_id, points=done.points, available=available)


@router.post("/customers/{customer_id}/points/redemptions", response_model=RedemptionPublic, status_code=201,
             responses={200: {"model": RedemptionPublic, "description": "The same idempotency key seen before"}})
def create_redemption(customer_id: IdPath, body: RedemptionCreate, actor: OrderWriter, session: SessionDep,
                      response: Response) -> RedemptionPublic:
    """Spend points as cash or on a reward; 409 when the available points do not cover it."""
    done = points.redeem(session, customer_id, body.idempotency_key, points=body.points, reward_id=body.reward_id,
                         reserve=body.reserve)
    session.commit()
    response.status_code = 201 if done.created else 200
    return RedemptionPublic.model_validate(done.redemption)


@router.post("/customers/{customer_id}/points/redemptions/{redemption_id}/confirmation",
             response_model=RedemptionPublic)
def confirm_redemption(customer_id: IdPath, redemption_id: IdPath, actor: OrderWriter,
                       session: SessionDep) -> RedemptionPublic:
    customer_id = profiles.live_customer(session, customer_id).id
    done = points.settle(session, customer_id, redemption_id, confirm=True)
    session.commit()
    return RedemptionPublic.model_validate(done)


@router.post("/customers/{customer_id}/points/redemptions/{redemption_id}/cancellation",
             response_model=RedemptionPublic)
def cancel_redemption(customer_id: IdPath, redemption_id: IdPath, actor: OrderWriter,
                      session: SessionDep) -> RedemptionPublic:
    """Give reserved points back (a cancelled checkout)."""
    customer_id = profiles.live_customer(session, customer_id).id
    done = points.settle(session, customer_id, redemption_id, confirm=False)
    session.commit()
    return RedemptionPublic.model_validate(done)


@router.post("/loyalty/previews", response_model=PreviewPublic)
def preview(body: PreviewCreate, actor: OrderWriter, session: SessionDep) -> PreviewPublic:
    """How many points a cart would earn now (for the shop's checkout)."""
    award = catalogue.preview(session, body)
    return PreviewPublic(points=award.points, explanations=award.explanations)


@router.post("/loyalty/events", response_model=EventPublic, status_code=201,
             responses={200: {"model": EventPublic, "description": "This source and external id were seen before"}})
def create_event(body: EventCreate, actor: OrderWriter, session: SessionDep, response: Response) -> EventPublic:
    """A member event (sign-up, check-in, share, survey…) from the shop or staff: points by the event rules,
    with their explanation; idempotent on source + external_id."""
    now = utcnow()
    if body.occurred_at is not None and body.occurred_at > now + dt.timedelta(minutes=5):
        raise Invalid("occurred_at is in the future", errors=[{"loc": ["body", "occurred_at"], "msg": "not after now"}])
    done = events.record(session, body.customer_id, body.kind, source=body.source, external_id=body.external_id,
                         occurred_at=body.occurred_at, now=now)
    session.commit()
    response.status_code = 201 if done.created else 200
    return EventPublic.model_validate(done.event)


@router.get("/customers/{customer_id}/points/events", response_model=list[EventPublic])
def get_events(customer_id: IdPath, actor: CustomerReader, session: SessionDep,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[EventPublic]:
    """The member's events as loyalty saw them, newest first, each with what it earned and why."""
    customer_id = profiles.live_customer(session, customer_id).id
    return [EventPublic.model_validate(e) for e in events.events_of(session, customer_id, limit)]


@router.post("/loyalty/gifts/{gift_id}/shipment", response_model=GiftPublic)
def ship_gift(gift_id: IdPath, actor: OrderWriter, session: SessionDep) -> GiftPublic:
    """The gift went out: a later refund no longer takes it back."""
    grant = gifts.mark_shipped(session, gift_id)
    session.commit()
    return GiftPublic(**next(g for g in gifts.gifts_of(session, grant.customer_id, 500) if g["id"] == grant.id))


# -- configuration -------------------------------------------------------------------------------

@router.get("/loyalty/rules", response_model=list[RulePublic])
def list_rules(actor: LoyaltyConfigurer, session: SessionDep) -> list[RulePublic]:
    return [RulePublic.model_validate(r) for r in catalogue.current_rules(session)]


@router.post("/loyalty/rules", response_model=RulePublic, status_code=201)
def create_rule(body: RuleCreate, actor: LoyaltyConfigurer, session: SessionDep) -> RulePublic:
    row = catalogue.write_rule(session, body.name, body.definition, body.active, actor.ref, create=True)
    session.commit()
    return RulePublic.model_validate(row)


@router.get("/loyalty/rules/{name}", response_model=list[RulePublic])
def get_rule_versions(name: RuleName, actor: LoyaltyConfigurer, session: SessionDep) -> list[RulePublic]:
    return [RulePublic.model_validate(r) for r in catalogue.rule_versions(session, name)]


@router.put("/loyalty/rules/{name}", response_model=RulePublic)
def update_rule(name: RuleName, body: RuleWrite, actor: LoyaltyConfigurer, session: SessionDep) -> RulePublic:
    """A new version; orders placed before it keep the version they were placed under."""
    row = catalogue.write_rule(session, name, body.definition, body.active, actor.ref, create=False)
    session.commit()
    return RulePublic.model_validate(row)


@router.delete("/loyalty/rules/{name}", response_model=RulePublic)
def retire_rule(name: RuleName, actor: LoyaltyConfigurer, session: SessionDep) -> RulePublic:
    """An inactive version: the rule stops for new orders, history keeps it."""
    last = catalogue.rule_versions(session, name)[-1]
    row = catalogue.write_rule(session, name, last.definition, False, actor.ref, create=False)
    session.commit()
    return RulePublic.model_validate(row)


@router.get("/loyalty/rewards", response_model=list[RewardPublic])
def list_rewards(actor: CustomerReader, session: SessionDep) -> list[RewardPublic]:
    return [RewardPublic.model_validate(r) for r in catalogue.rewards(session)]


@router.post("/loyalty/rewards", response_model=RewardPublic, status_code=201)
def create_reward(body: RewardCreate, actor: LoyaltyConfigurer, session: SessionDep) -> RewardPublic:
    row = catalogue.add_reward(session, **body.model_dump())
    session.commit()
    return RewardPublic.model_validate(row)


@router.patch("/loyalty/rewards/{reward_id}", response_model=RewardPublic)
def update_reward(reward_id: IdPath, body: RewardUpdate, actor: LoyaltyConfigurer, session: SessionDep
                  ) -> RewardPublic:
    row = catalogue.update_reward(session, reward_id, **body.model_dump(exclude_unset=True))
    session.commit()
    return RewardPublic.model_validate(row)


@router.get("/loyalty/tiers", response_model=list[TierPublic])
def list_tiers(actor: CustomerReader, session: SessionDep) -> list[TierPublic]:
    return [TierPublic.model_validate(t) for t in catalogue.tiers(session)]


# Tiers and plans are addressed by their code, which the body repeats.
CodePath = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


def _same_code(in_body: str, in_path: str) -> None:
    if in_body != in_path:
        raise Invalid("the code in the body differs from the path",
                      errors=[{"loc": ["body", "code"], "msg": in_path}])


@router.put("/loyalty/tiers/{code}", response_model=TierPublic,
            responses={201: {"model": TierPublic, "description": "A new tier"}})
def put_tier(code: CodePath, body: TierWrite,
             actor: LoyaltyConfigurer, session: SessionDep, response: Response) -> TierPublic:
    _same_code(body.code, code)
    tier, created = catalogue.put_tier(session, **body.model_dump())
    session.commit()
    response.status_code = 201 if created else 200
    return TierPublic.model_validate(tier)


@router.delete("/loyalty/tiers/{code}", status_code=204)
def delete_tier(code: CodePath, actor: LoyaltyConfigurer,
                session: SessionDep) -> Response:
    catalogue.delete_tier(session, code)
    session.commit()
    return Response(status_code=204)


@router.get("/loyalty/settings", response_model=SettingsPublic)
def get_settings(actor: LoyaltyConfigurer, session: SessionDep) -> SettingsPublic:
    return SettingsPublic.model_validate(store.program_settings(session))


@router.patch("/loyalty/settings", response_model=SettingsPublic)
def update_settings(body: SettingsWrite, actor: LoyaltyConfigurer, session: SessionDep) -> SettingsPublic:
    """The programme's settings; referrals pay in points, a coupon reward (referral_coupon_id) or store credit."""
    values = body.model_dump(exclude_none=True)
    current = store.program_settings(session)
    referral.check_payout(session, values.get("referral_reward", current.referral_reward or referral.POINTS),
                          values.get("referral_coupon_id", current.referral_coupon_id),
                          values.get("credit_currency", current.credit_currency or "CNY"))
    row = store.save_settings(session, **values)
    session.commit()
    return SettingsPublic.model_validate(row)


@router.get("/loyalty/reports")
def get_reports(actor: LoyaltyConfigurer, session: SessionDep,
                value_per_point_minor: Annotated[float, Query(ge=0, le=1_000_000)] = 1.0) -> dict:
    """Points liability, earned/redeemed/expired per month with redemption rate and breakage, top rewards, tiers,
    and store-credit liability per currency."""
    return {"liability": reports.liability(session, value_per_point_minor), "monthly": reports.monthly_flow(session),
            "top_rewards": reports.top_rewards(session), "tiers": reports.tier_distribution(session),
            "budgets": budgets.report(session), "store_credit": reports.store_credit(session)}


@router.get("/customers/{customer_id}/referral", response_model=ReferralsPublic)
def get_referral(customer_id: IdPath, actor: CustomerReader, session: SessionDep) -> ReferralsPublic:
    """The member's referral code (made on first ask) and the friends attributed to it."""
    code = referral.code_for(session, customer_id)
    session.commit()
    rows = referral.referrals_of(session, profiles.live_customer(session, customer_id).id)
    return ReferralsPublic(code=code, referrals=[ReferralPublic.model_validate(r) for r in rows])


@router.post("/referrals", response_model=ReferralPublic, status_code=201,
             responses={200: {"model": ReferralPublic, "description": "The friend was attributed before"}})
def create_referral(body: ReferralCreate, actor: CustomerWriter, session: SessionDep,
                    response: Response) -> ReferralPublic:
    """A new customer signed up with a code: attributed, held for review, or rejected (self-referral)."""
    row, created = referral.attribute(session, body.customer_id, body.code, fingerprints=body.fingerprints)
    session.commit()
    response.status_code = 201 if created else 200
    return ReferralPublic.model_validate(row)


@router.get("/loyalty/plans", response_model=list[PlanPublic])
def list_plans(actor: CustomerReader, session: SessionDep) -> list[PlanPublic]:
    return [PlanPublic.model_validate(p) for p in session.scalars(select(MembershipPlan).order_by(MembershipPlan.code))]


@router.put("/loyalty/plans/{code}", response_model=PlanPublic,
            responses={201: {"model": PlanPublic, "description": "A new plan"}})
def put_plan(code: CodePath, body: PlanWrite,
             actor: LoyaltyConfigurer, session: SessionDep, response: Response) -> PlanPublic:
    _same_code(body.code, code)
    row, created = membership.put_plan(session, **body.model_dump())
    session.commit()
    response.status_code = 201 if created else 200
    return PlanPublic.model_validate(row)


@router.post("/customers/{customer_id}/membership/payments", response_model=MembershipPublic, status_code=201,
             responses={200: {"model": MembershipPublic, "description": "This payment was recorded before"}})
def pay_membership(customer_id: IdPath, body: MembershipPaymentCreate, actor: OrderWriter, session: SessionDep,
                   response: Response) -> MembershipPublic:
    """A payment webhook for a paid membership: starts or renews it (idempotent on external_id)."""
    sub, created = membership.record_payment(session, customer_id, body.plan_code, body.external_id,
                                             body.amount_minor, body.currency, paid_at=body.paid_at)
    session.commit()
    response.status_code = 201 if created else 200
    return MembershipPublic.model_validate(sub)


@router.post("/customers/{customer_id}/membership/cancellation", response_model=MembershipPublic)
def cancel_membership(customer_id: IdPath, actor: OrderWriter, session: SessionDep) -> MembershipPublic:
    sub = membership.cancel(session, customer_id)
    session.commit()
    return MembershipPublic.model_validate(sub)


@router.get("/customers/{customer_id}/membership", response_model=MembershipPublic)
def get_membership(customer_id: IdPath, actor: CustomerReader, session: SessionDep) -> MembershipPublic:
    sub = session.get(Subscription, profiles.live_customer(session, customer_id).id)
    if sub is None:
        raise NotFound(f"customer {customer_id} has no membership")
    return MembershipPublic.model_validate(sub)
