"""Care pages: campaigns (operations) with their figures and uplift, templates (content team) with preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from guanxi.care import approval, campaigns, member_inbox, privacy_hooks, template_store, templates
from guanxi.care.campaigns import TRIGGERS, CampaignSpec
from guanxi.care.occasions import OCCASIONS
from guanxi.care.settings import load_care_settings
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError
from guanxi.staff.roles import Perm
from guanxi.web import menu, sections
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import is_htmx, render

router = APIRouter()
menu.add("campaigns", N_("Campaigns"), "/care/campaigns", Perm.campaigns_manage, order=45)
menu.add("templates", N_("Message templates"), "/care/templates", Perm.templates_write, order=46)
CampaignPage = page_for(Perm.campaigns_manage)
TemplatePage = page_for(Perm.templates_write)
Text = Annotated[str, Form(max_length=200)]
Body = Annotated[str, Form(max_length=100_000)]


def _campaigns(request: Request, session, *, status: int = 200, **extra):
    rows = [(c, campaigns.report(session, c.id)) for c in campaigns.list_campaigns(session)]
    return render(request, "care/campaigns.html",
                  {"rows": rows, "triggers": list(TRIGGERS), "occasions": OCCASIONS, "channels": templates.CHANNELS,
                   "template_names": sorted({t.name for t in template_store.list_templates(session)}),
                   "form": extra.pop("form", {}), **extra},
                  fragment="care/_campaigns.html", status=status)


@router.get("/care/campaigns")
def campaigns_page(request: Request, actor: CampaignPage, session: SessionDep):
    return _campaigns(request, session)


@router.post("/care/campaigns")
def create_campaign(request: Request, actor: CampaignPage, session: SessionDep, name: Text = "",
                    trigger: Text = "", days: Text = "", occasion: Text = "", channel: Text = "email",
                    template: Text = "", control_percent: Text = "0", purpose: Text = "marketing",
                    customer_ids: Body = ""):
    form = {"name": name, "trigger": trigger, "days": days, "occasion": occasion, "channel": channel,
            "template": template, "control_percent": control_percent, "purpose": purpose, "customer_ids": customer_ids}
    try:
        params: dict = {}
        if trigger == "holiday":
            params["occasion"] = occasion
        if days.strip():
            key = next(iter(TRIGGERS.get(trigger) or {"days": 0}))  # the trigger's first whole-number param
            params[key] = int(days)
        ids = [int(x) for x in customer_ids.replace(",", " ").split()] if customer_ids.strip() else None
        spec = CampaignSpec(name=name, channels=[channel], purpose=purpose,
                            variants=[{"name": "A", "template": template, "weight": 1}], trigger=trigger or None,
                            params=params, audience={"customer_ids": ids} if ids else {},
                            control_percent=int(control_percent or 0))
        row = campaigns.create_campaign(session, actor, spec, load_care_settings().occasions)
        session.commit()
    except ValueError:
        session.rollback()
        return _campaigns(request, session, status=422, form=form, error=N_("Numbers only, please."))
    except GuanxiError as exc:
        session.rollback()
        return _campaigns(request, session, status=exc.status, form=form, error=exc.detail)
    if not is_htmx(request):
        return RedirectResponse(f"/care/campaigns/{row.id}", status_code=303)
    return _campaigns(request, session, created_id=row.id)


def _detail(request: Request, session, campaign_id: int, *, status: int = 200, **extra):
    campaign = campaigns.get_campaign(session, campaign_id)
    return render(request, "care/campaign.html",
                  {"c": campaign, "report": campaigns.report(session, campaign_id),
                   "problems": campaigns.readiness(session, campaign),
                   "require_approval": load_care_settings().require_approval, **extra},
                  fragment="care/_campaign.html", status=status)


@router.get("/care/campaigns/{campaign_id}")
def campaign_page(campaign_id: int, request: Request, actor: CampaignPage, session: SessionDep):
    return _detail(request, session, campaign_id)


@router.post("/care/campaigns/{campaign_id}/status")
def campaign_status(campaign_id: int, request: Request, actor: CampaignPage, session: SessionDep,
                    status: Text = ""):
    try:
        campaigns.set_status(session, actor, campaign_id, status,
                             require_approval=load_care_settings().require_approval)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _detail(request, session, campaign_id, status=exc.status, error=exc.detail)
    if not is_htmx(request):
        return RedirectResponse(f"/care/campaigns/{campaign_id}", status_code=303)
    return _detail(request, session, campaign_id)


@router.post("/care/campaigns/{campaign_id}/approval")
def campaign_approval(campaign_id: int, request: Request, actor: CampaignPage, session: SessionDep):
    try:
        approval.approve(session, actor, campaigns.get_campaign(session, campaign_id))
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _detail(request, session, campaign_id, status=exc.status, error=exc.detail)
    if not is_htmx(request):
        return RedirectResponse(f"/care/campaigns/{campaign_id}", status_code=303)
    return _detail(request, session, campaign_id)


def _templates(request: Request, session, *, status: int = 200, **extra):
    return render(request, "care/templates.html",
                  {"items": template_store.list_templates(session), "channels": templates.CHANNELS,
                   "template_locales": templates.LOCALES, "sample": templates.SAMPLE_CONTEXT, "form": extra.pop("form", {}),
                   **extra},
                  fragment="care/_templates.html", status=status)


@router.get("/care/templates")
def templates_page(request: Request, actor: TemplatePage, session: SessionDep):
    edit = request.query_params.get("edit")
    form = {}
    if edit and edit.isdigit():
        try:
            t = template_store.get_template(session, int(edit))
            form = {"name": t.name, "channel": t.channel, "locale": t.locale, "subject": t.subject or "", "body": t.body}
        except GuanxiError:
            pass
    return _templates(request, session, form=form)


@router.post("/care/templates")
def save_template(request: Request, actor: TemplatePage, session: SessionDep, name: Text = "",
                  channel: Text = "email", locale: Text = "zh-CN", subject: Annotated[str, Form(max_length=1000)] = "",
                  body: Body = ""):
    form = {"name": name, "channel": channel, "locale": locale, "subject": subject, "body": body}
    try:
        row = template_store.save_template(session, actor, name=name, channel=channel, locale=locale,
                                           subject=subject or None, body=body)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _templates(request, session, status=exc.status, form=form, error=exc.detail)
    if not is_htmx(request):
        return RedirectResponse(f"/care/templates?saved={row.id}", status_code=303)
    return _templates(request, session, saved=row)


@router.post("/care/templates/{template_id}/preview")
def preview_template(template_id: int, request: Request, actor: TemplatePage, session: SessionDep,
                     runtime: RuntimeDep, customer_id: Text = ""):
    try:
        if not customer_id.strip().isdigit():
            raise ValueError
        shown = template_store.preview(session, runtime.cipher, actor, template_id, int(customer_id),
                                       shop_name=load_care_settings().shop_name,
                                       pii_alert_per_hour=runtime.settings.pii_alert_per_hour)
        session.commit()
    except ValueError:
        return _templates(request, session, status=422, error=N_("Enter a customer number."))
    except GuanxiError as exc:
        session.rollback()
        return _templates(request, session, status=exc.status, error=exc.detail)
    return _templates(request, session, preview=shown)


@sections.customer_section("messages", N_("Messages"), "care/_customer_messages.html", perm=Perm.customers_read,
                           order=30)
def customer_messages(session, runtime, customer_id: int) -> dict:
    """The care messages this person got or will get (no text: the 360 shows what and when)."""
    return {"messages": privacy_hooks.messages_of(session, customer_id, limit=20)}


@sections.member_section("inbox", N_("Messages for you"), "care/_member_inbox.html", order=30)
def member_messages(session, runtime, customer_id: int) -> dict:
    """The in-app inbox (channel "inapp"); showing a message counts as its open."""
    messages = member_inbox.inbox(session, runtime.cipher, customer_id)
    session.commit()
    return {"messages": messages}
