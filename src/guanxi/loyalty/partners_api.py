"""Coalition partners over HTTP: staff manage partners and read statements (/api/v1/loyalty/partners);
a partner, with its own token, looks members up, posts earnings and consumes vouchers (/api/v1/partner)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from guanxi.customers import profiles
from guanxi.deps import CurrentPartner, CustomerReader, LoyaltyConfigurer, RuntimeDep, SessionDep
from guanxi.loyalty import partners
from guanxi.loyalty.partner_models import Partner
from guanxi.loyalty.partner_schemas import (
    MemberCodePublic, MemberLookup, MemberRef, PartnerCreate, PartnerEarnCreate, PartnerEarnPublic,
    PartnerMemberPublic, PartnerPublic, PartnerTokenPublic, PartnerUpdate, StatementPublic, VoucherPublic,
    VoucherUseCreate,
)
from guanxi.privacy import audit
from guanxi.schemas import IdPath

router = APIRouter(prefix="/api/v1", tags=["loyalty partners"])
CodePath = Annotated[str, Path(max_length=24, pattern=r"^[A-Za-z0-9_-]+$")]
MonthPath = Annotated[str, Path(max_length=20, description="YYYY-MM, in the shop's time zone")]  # checked by month_bounds
VoucherPath = Annotated[str, Path(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9]+$")]
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "one row per earn and voucher use, then totals"}}


# The .csv routes come before their JSON twins: "{month}" would take "2026-11.csv" too.

# -- staff ----------------------------------------------------------------------------------------

@router.get("/loyalty/partners", response_model=list[PartnerPublic])
def list_partners(actor: LoyaltyConfigurer, session: SessionDep) -> list[PartnerPublic]:
    return [PartnerPublic.model_validate(p) for p in partners.list_partners(session)]


@router.post("/loyalty/partners", response_model=PartnerTokenPublic, status_code=201)
def create_partner(body: PartnerCreate, actor: LoyaltyConfigurer, session: SessionDep) -> PartnerTokenPublic:
    """A partner merchant and its API token (shown in this reply only)."""
    row, token = partners.create_partner(session, **body.model_dump())
    audit.record(session, "partner_created", actor, subject_type="partner", subject_id=row.code)
    session.commit()
    return PartnerTokenPublic(partner=PartnerPublic.model_validate(row), token=token)


@router.get("/loyalty/partners/{code}", response_model=PartnerPublic)
def get_partner(code: CodePath, actor: LoyaltyConfigurer, session: SessionDep) -> PartnerPublic:
    return PartnerPublic.model_validate(partners.get_partner(session, code))


@router.patch("/loyalty/partners/{code}", response_model=PartnerPublic)
def update_partner(code: CodePath, body: PartnerUpdate, actor: LoyaltyConfigurer,
                   session: SessionDep) -> PartnerPublic:
    """Name, exchange rate, settlement value, status (suspended partners' tokens stop working)."""
    row = partners.update_partner(session, code, **body.model_dump(exclude_unset=True))
    audit.record(session, "partner_updated", actor, subject_type="partner", subject_id=code,
                 fields=sorted(body.model_fields_set))
    session.commit()
    return PartnerPublic.model_validate(row)


@router.post("/loyalty/partners/{code}/token", response_model=PartnerTokenPublic)
def rotate_token(code: CodePath, actor: LoyaltyConfigurer, session: SessionDep) -> PartnerTokenPublic:
    """A new token for the partner; the previous one stops working at once."""
    row, token = partners.rotate_token(session, code)
    audit.record(session, "partner_token_rotated", actor, subject_type="partner", subject_id=code)
    session.commit()
    return PartnerTokenPublic(partner=PartnerPublic.model_validate(row), token=token)


@router.delete("/loyalty/partners/{code}/token", response_model=PartnerPublic)
def revoke_token(code: CodePath, actor: LoyaltyConfigurer, session: SessionDep) -> PartnerPublic:
    row = partners.revoke_token(session, code)
    audit.record(session, "partner_token_revoked", actor, subject_type="partner", subject_id=code)
    session.commit()
    return PartnerPublic.model_validate(row)


def _statement(session, runtime, partner: Partner, month: str) -> StatementPublic:
    return StatementPublic.model_validate(partners.statement(session, partner, month,
                                                             runtime.settings.default_timezone))


def _statement_csv(session, runtime, partner: Partner, month: str) -> Response:
    tz = runtime.settings.default_timezone
    text = partners.statement_csv(partners.statement(session, partner, month, tz),
                                  partners.statement_lines(session, partner, month, tz))
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="settlement-{partner.code}-{month}.csv"'})


@router.get("/loyalty/partners/{code}/statements/{month}.csv", response_class=Response, responses=CSV_RESPONSE)
def get_statement_csv(code: CodePath, month: MonthPath, actor: LoyaltyConfigurer, session: SessionDep,
                      runtime: RuntimeDep) -> Response:
    return _statement_csv(session, runtime, partners.get_partner(session, code), month)


@router.get("/loyalty/partners/{code}/statements/{month}", response_model=StatementPublic)
def get_statement(code: CodePath, month: MonthPath, actor: LoyaltyConfigurer, session: SessionDep,
                  runtime: RuntimeDep) -> StatementPublic:
    """The month's settlement: points issued and redeemed at the partner, times the agreed value."""
    return _statement(session, runtime, partners.get_partner(session, code), month)


@router.get("/customers/{customer_id}/partner-code", response_model=MemberCodePublic)
def get_member_code(customer_id: IdPath, actor: CustomerReader, session: SessionDep) -> MemberCodePublic:
    """The code the member shows at partner tills (made on first ask)."""
    code = partners.member_code(session, customer_id)
    session.commit()
    return MemberCodePublic(customer_id=profiles.live_customer(session, customer_id).id, code=code)


# -- the partner itself ---------------------------------------------------------------------------

def _member(session, runtime, ref: MemberRef):
    return partners.find_member(session, runtime.cipher, code=ref.code, phone=ref.phone, email=ref.email,
                                region=runtime.settings.default_region)


@router.get("/partner", response_model=PartnerPublic)
def whoami(partner: CurrentPartner) -> PartnerPublic:
    """The partner this token belongs to, with its exchange rate."""
    return PartnerPublic.model_validate(partner)


@router.post("/partner/members/lookups", response_model=PartnerMemberPublic)
def look_up_member(body: MemberLookup, partner: CurrentPartner, session: SessionDep,
                   runtime: RuntimeDep) -> PartnerMemberPublic:
    """The member as this partner may see them (sent in the body: a phone number belongs in no URL)."""
    customer = _member(session, runtime, body.member)
    return PartnerMemberPublic(**partners.member_view(session, runtime.cipher, partner, customer))


@router.post("/partner/earnings", response_model=PartnerEarnPublic, status_code=201,
             responses={200: {"model": PartnerEarnPublic, "description": "This external_id was posted before"}})
def post_earning(body: PartnerEarnCreate, partner: CurrentPartner, session: SessionDep, runtime: RuntimeDep,
                 response: Response) -> PartnerEarnPublic:
    """A member's purchase (or points) at the partner → our points, once per external_id."""
    customer = _member(session, runtime, body.member)
    units = body.amount_minor if body.amount_minor is not None else body.partner_points
    done = partners.earn(session, partner, customer, body.external_id, units=units, currency=body.currency,
                         occurred_at=body.occurred_at)
    session.commit()
    response.status_code = 201 if done.created else 200
    return PartnerEarnPublic(external_id=done.lot.ref, points=done.lot.points, earned_at=done.lot.earned_at,
                             expires_at=done.lot.expires_at,
                             member=partners.member_view(session, runtime.cipher, partner, done.customer))


@router.get("/partner/vouchers/{voucher_code}", response_model=VoucherPublic)
def check_voucher(voucher_code: VoucherPath, partner: CurrentPartner, session: SessionDep) -> VoucherPublic:
    """Whether a voucher a member shows is this partner's and still valid."""
    return VoucherPublic(**partners.voucher(session, partner, voucher_code))


@router.post("/partner/vouchers/{voucher_code}/uses", response_model=VoucherPublic, status_code=201,
             responses={200: {"model": VoucherPublic, "description": "Used before with the same ref"}})
def use_voucher(voucher_code: VoucherPath, body: VoucherUseCreate, partner: CurrentPartner, session: SessionDep,
                response: Response) -> VoucherPublic:
    """Consume the voucher; 409 when it was used already (under another ref), reserved or cancelled."""
    view, created = partners.use_voucher(session, partner, voucher_code, ref=body.ref)
    session.commit()
    response.status_code = 201 if created else 200
    return VoucherPublic(**view)


@router.get("/partner/statements/{month}.csv", response_class=Response, responses=CSV_RESPONSE)
def partner_statement_csv(month: MonthPath, partner: CurrentPartner, session: SessionDep,
                          runtime: RuntimeDep) -> Response:
    return _statement_csv(session, runtime, partner, month)


@router.get("/partner/statements/{month}", response_model=StatementPublic)
def partner_statement(month: MonthPath, partner: CurrentPartner, session: SessionDep,
                      runtime: RuntimeDep) -> StatementPublic:
    """The partner's own settlement statement for a month."""
    return _statement(session, runtime, partner, month)
