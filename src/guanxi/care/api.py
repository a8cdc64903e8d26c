"""Care over HTTP: templates (content team), campaigns and the outbox (operations), provider callbacks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from guanxi.care import (approval, campaigns, outbox, preferences, privacy_hooks, template_store,  # noqa: F401
                         tracking, triggers, unsubscribe)
from guanxi.care.campaigns import CampaignSpec
from guanxi.care.channels import CONSENT_CHANNEL
from guanxi.care.channels.http import SIGNATURE_HEADER, signature_ok
from guanxi.care.models import OutboxMessage
from guanxi.care.schemas import (
    CampaignPublic, CampaignWrite, InboundSms, OutboxPublic, PreviewCreate, PreviewPublic, ReceiptCreate, RunCreate,
    StatusWrite, TemplatePublic, TemplateWrite,
)
from guanxi.care.settings import CareSettings, load_care_settings
from guanxi.db import utcnow
from guanxi.deps import CampaignManager, CurrentActor, RuntimeDep, SessionDep, TemplateWriter
from guanxi.errors import Forbidden, Invalid, Unauthorized
from guanxi.schemas import IdPath
from guanxi.staff.roles import Actor, Perm

router = APIRouter(prefix="/api/v1/care", tags=["care"])


def get_care_settings(request: Request) -> CareSettings:
    # Tests and embedders may pin settings on the app; otherwise GUANXI_CARE_* as they are now.
    return getattr(request.app.state, "care_settings", None) or load_care_settings()


CareSettingsDep = Annotated[CareSettings, Depends(get_care_settings)]


def _template_reader(actor: CurrentActor) -> Actor:
    if not (actor.can(Perm.templates_write) or actor.can(Perm.campaigns_manage)):
        raise Forbidden(f"the {actor.role.value} role may not do this (needs templates.write or campaigns.manage)")
    return actor


TemplateReader = Annotated[Actor, Depends(_template_reader)]


# Templates ---------------------------------------------------------------------------------

@router.get("/templates", response_model=list[TemplatePublic])
def list_templates(actor: TemplateReader, session: SessionDep,
                   name: Annotated[str | None, Query(max_length=100)] = None) -> list[TemplatePublic]:
    return [TemplatePublic.model_validate(t) for t in template_store.list_templates(session, name)]


@router.post("/templates", response_model=TemplatePublic, status_code=201)
def save_template(body: TemplateWrite, actor: TemplateWriter, session: SessionDep) -> TemplatePublic:
    """Create or replace the template for (name, channel, locale); 422 if it does not render against the sample."""
    row = template_store.save_template(session, actor, **body.model_dump())
    session.commit()
    return TemplatePublic.model_validate(row)


@router.get("/templates/{template_id}", response_model=TemplatePublic)
def get_template(template_id: IdPath, actor: TemplateReader, session: SessionDep) -> TemplatePublic:
    return TemplatePublic.model_validate(template_store.get_template(session, template_id))


@router.delete("/templates/{template_id}", status_code=204)
def delete_template(template_id: IdPath, actor: TemplateWriter, session: SessionDep) -> Response:
    template_store.delete_template(session, actor, template_id)
    session.commit()
    return Response(status_code=204)


@router.post("/templates/{template_id}/previews", response_model=PreviewPublic)
def preview_template(template_id: IdPath, body: PreviewCreate, actor: TemplateWriter, session: SessionDep,
                     runtime: RuntimeDep, care: CareSettingsDep) -> PreviewPublic:
    """The template rendered for a real customer (audited as a read of their personal data)."""
    got = template_store.preview(session, runtime.cipher, actor, template_id, body.customer_id,
                                 shop_name=care.shop_name, pii_alert_per_hour=runtime.settings.pii_alert_per_hour)
    session.commit()
    return PreviewPublic(**got)


# Campaigns ---------------------------------------------------------------------------------

def _spec(body: CampaignWrite) -> CampaignSpec:
    data = body.model_dump()
    data["variants"] = [v.model_dump() for v in body.variants]
    return CampaignSpec(**data)


@router.get("/campaigns", response_model=list[CampaignPublic])
def list_campaigns(actor: CampaignManager, session: SessionDep,
                   status: Annotated[str | None, Query(pattern="^(draft|active|paused|ended)$")] = None
                   ) -> list[CampaignPublic]:
    return [CampaignPublic.model_validate(c) for c in campaigns.list_campaigns(session, status)]


@router.post("/campaigns", response_model=CampaignPublic, status_code=201)
def create_campaign(body: CampaignWrite, actor: CampaignManager, session: SessionDep,
                    care: CareSettingsDep) -> CampaignPublic:
    row = campaigns.create_campaign(session, actor, _spec(body), care.occasions)
    session.commit()
    return CampaignPublic.model_validate(row)


@router.get("/campaigns/{campaign_id}", response_model=CampaignPublic)
def get_campaign(campaign_id: IdPath, actor: CampaignManager, session: SessionDep) -> CampaignPublic:
    return CampaignPublic.model_validate(campaigns.get_campaign(session, campaign_id))


@router.put("/campaigns/{campaign_id}", response_model=CampaignPublic)
def update_campaign(campaign_id: IdPath, body: CampaignWrite, actor: CampaignManager, session: SessionDep,
                    care: CareSettingsDep) -> CampaignPublic:
    row = campaigns.update_campaign(session, actor, campaign_id, _spec(body), care.occasions)
    session.commit()
    return CampaignPublic.model_validate(row)


@router.post("/campaigns/{campaign_id}/status", response_model=CampaignPublic)
def set_campaign_status(campaign_id: IdPath, body: StatusWrite, actor: CampaignManager,
                        session: SessionDep, care: CareSettingsDep) -> CampaignPublic:
    """Start, pause or end a campaign; 409 with the reasons when it cannot start (not approved, not ready)."""
    row = campaigns.set_status(session, actor, campaign_id, body.status, require_approval=care.require_approval)
    session.commit()
    return CampaignPublic.model_validate(row)


@router.post("/campaigns/{campaign_id}/approval", response_model=CampaignPublic)
def approve_campaign(campaign_id: IdPath, actor: CampaignManager, session: SessionDep) -> CampaignPublic:
    """Approve a campaign as a second staff member (403 for its author); safe to repeat; an edit clears it."""
    row = approval.approve(session, actor, campaigns.get_campaign(session, campaign_id))
    session.commit()
    return CampaignPublic.model_validate(row)


@router.delete("/campaigns/{campaign_id}/approval", response_model=CampaignPublic)
def withdraw_approval(campaign_id: IdPath, actor: CampaignManager, session: SessionDep) -> CampaignPublic:
    """Withdraw the approval; an active campaign then stops running until it is approved again."""
    row = campaigns.get_campaign(session, campaign_id)
    approval.withdraw(session, actor, row)
    session.commit()
    return CampaignPublic.model_validate(row)


@router.get("/campaigns/{campaign_id}/report")
def campaign_report(campaign_id: IdPath, actor: CampaignManager, session: SessionDep) -> dict:
    """Outbox counts, recipients per variant and control, conversions, revenue and uplift."""
    return campaigns.report(session, campaign_id)


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text!r} is not a date", errors=[{"loc": ["body", "date"], "msg": "not a date"}]) from None


@router.post("/campaigns/{campaign_id}/dry-runs")
def dry_run(campaign_id: IdPath, body: RunCreate, actor: CampaignManager, session: SessionDep,
            runtime: RuntimeDep, care: CareSettingsDep) -> dict:
    """Who would receive the campaign now (or on `date`), and who is left out and why; nothing is sent."""
    campaign = campaigns.get_campaign(session, campaign_id)
    return triggers.dry_run(session, runtime.cipher, care, campaign, utcnow(), _day(body.date))


@router.post("/campaigns/{campaign_id}/runs")
def run_campaign(campaign_id: IdPath, body: RunCreate, actor: CampaignManager, session: SessionDep,
                 runtime: RuntimeDep, care: CareSettingsDep) -> dict:
    """Run an active campaign now instead of waiting for the hourly job; safe to repeat."""
    campaign = campaigns.get_campaign(session, campaign_id)
    if campaign.status != "active":
        raise Invalid("only an active campaign runs")
    session.close()
    results = triggers.run_triggers(runtime.factory, runtime.cipher, runtime.secrets.session_secret, care,
                                    today=_day(body.date), campaign_id=campaign_id)
    return results.get(campaign_id, {"chosen": 0, "queued": 0, "control": 0, "repeated": 0, "skipped": {}})


# Outbox ------------------------------------------------------------------------------------

@router.get("/outbox", response_model=list[OutboxPublic])
def list_outbox(actor: CampaignManager, session: SessionDep,
                status: Annotated[str | None, Query(pattern="^(queued|sending|sent|delivered|failed|bounced|suppressed)$")] = None,
                campaign_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                after_id: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[OutboxPublic]:
    """Messages newest first, without their text (it is personal data)."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if campaign_id:
        stmt = stmt.where(OutboxMessage.campaign_id == campaign_id)
    if customer_id:
        stmt = stmt.where(OutboxMessage.customer_id == customer_id)
    if after_id:
        stmt = stmt.where(OutboxMessage.id < after_id)
    return [OutboxPublic.model_validate(m) for m in session.scalars(stmt)]


# Provider callbacks and the unsubscribe link (no staff sign-in: signed or tokened) -------------

async def _signed_body(request: Request, care: CareSettings) -> bytes:
    raw = await request.body()
    if not care.webhook_secret:
        raise Forbidden("callbacks are off: set GUANXI_CARE_WEBHOOK_SECRET")
    if not signature_ok(care.webhook_secret, raw, request.headers.get(SIGNATURE_HEADER)):
        raise Unauthorized(f"bad or missing {SIGNATURE_HEADER}")
    return raw


def _parse(model, raw: bytes):
    try:
        return model.model_validate_json(raw)
    except ValueError as exc:
        raise Invalid(f"not a valid body: {exc}") from None


@router.post("/receipts/{channel}", status_code=204)
async def delivery_receipt(channel: Annotated[str, Path(pattern="^(email|sms|wechat|webhook)$")], request: Request,
                           runtime: RuntimeDep, care: CareSettingsDep) -> Response:
    """A provider's delivery receipt, signed with HMAC-SHA256 of the body (X-Guanxi-Signature: sha256=...)."""
    body = _parse(ReceiptCreate, await _signed_body(request, care))
    with runtime.factory() as session:
        outbox.record_receipt(session, channel, body.provider_id, body.status, body.at)
        session.commit()
    return Response(status_code=204)


@router.post("/inbound/sms")
async def inbound_sms(request: Request, runtime: RuntimeDep, care: CareSettingsDep) -> dict:
    """A customer's SMS reply, forwarded by the provider (signed); TD / 退订 / STOP withdraws SMS marketing."""
    body = _parse(InboundSms, await _signed_body(request, care))
    with runtime.factory() as session:
        owner = unsubscribe.inbound_sms(session, runtime.cipher, body.phone, body.text,
                                        region=runtime.settings.default_region)
        if owner is not None:
            tracking.unsubscribed(session, owner, "sms")
        session.commit()
    return {"unsubscribed": owner is not None}


def _centre(care: CareSettings) -> str:
    return f"{care.public_url.rstrip('/')}/m/#preferences"


UnsubscribeToken = Annotated[str, Path(max_length=200)]


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_link(token: UnsubscribeToken, request: Request, runtime: RuntimeDep,
                     care: CareSettingsDep) -> HTMLResponse:
    """The link in a message: asks to confirm (a link scanner's GET changes nothing); 422 for a forged link."""
    _, channel = unsubscribe.read_token(runtime.secrets.session_secret, token)
    page = preferences.confirm_page(str(request.url.path), CONSENT_CHANNEL.get(channel, "any"), _centre(care))
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_one_click(token: UnsubscribeToken, session: SessionDep, runtime: RuntimeDep,
                          care: CareSettingsDep) -> HTMLResponse:
    """The confirm button, and RFC 8058 one-click unsubscribe (List-Unsubscribe-Post): marketing on that
    channel stops at once, queued messages included (consent is checked again at send time)."""
    customer_id, channel = unsubscribe.unsubscribe(session, runtime.secrets.session_secret, token)
    tracking.unsubscribed(session, customer_id, channel)
    session.commit()
    return HTMLResponse(preferences.done_page(channel, _centre(care)), headers={"Cache-Control": "no-store"})
