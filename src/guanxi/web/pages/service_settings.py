"""Service desk settings pages: the root-cause list, the canned replies and the configurable surveys
(/service/settings), and the complaint and return rates report (/service/reports/rates)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.service import canned, canned_store, notify, rates, root_causes, survey_definitions, surveys
from guanxi.service.settings import get_service_settings
from guanxi.service.settings_api import day_range
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render, state_of

router = APIRouter()
menu.add("service_settings", N_("Service desk settings"), "/service/settings", Perm.tickets_work, group="settings",
         order=40)
menu.add("service_rates", N_("Complaint rates"), "/service/reports/rates", Perm.tickets_work, order=26)
Worker = page_for(Perm.tickets_work)
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=20000)]
DIMENSION_LABELS = {"product": N_("Product"), "supplier": N_("Supplier"), "channel": N_("Channel"),
                    "segment": N_("Segment"), "tier": N_("Tier")}
STATUS_LABELS = {"": N_("No status change"), "open": N_("Open"), "waiting": N_("Waiting for customer"),
                 "on_hold": N_("On hold")}
QUESTIONS_HINT = "rating; overall; How was your order?; 您对这笔订单满意吗？\n" \
                 "choice; found; Where did you find us?; 您从哪里知道我们？; required; wechat=WeChat/微信, friend=A friend/朋友\n" \
                 "text; why; Anything else?; 还有什么想说的？; optional"


def parse_questions(text: str) -> list[dict]:
    """One question a line: kind; key; English; 中文[; required|optional[; value=English/中文, …]]."""
    out = []
    for n, line in enumerate(l for l in text.splitlines() if l.strip()):
        parts = [p.strip() for p in line.split(";")]
        if len(parts) < 4:
            raise Invalid(f"line {n + 1}: write kind; key; English text; Chinese text")
        q = {"kind": parts[0], "key": parts[1], "text_en": parts[2], "text_zh": parts[3],
             "required": (parts[4] if len(parts) > 4 else "required") != "optional", "options": []}
        for item in filter(None, (o.strip() for o in (parts[5] if len(parts) > 5 else "").split(","))):
            value, _, labels = item.partition("=")
            en, _, zh = labels.partition("/")
            q["options"].append({"value": value.strip(), "en": en.strip(), "zh": zh.strip()})
        out.append(q)
    return out


def _context(request: Request, session, **extra) -> dict:
    t = state_of(request).t
    return {"status_options": [(k, t.gettext(v)) for k, v in STATUS_LABELS.items()], "causes": root_causes.all_causes(session), "replies": canned_store.all_replies(session),
            "definitions": survey_definitions.all_definitions(session), "variables": canned.VARIABLES,
            "status_labels": STATUS_LABELS, "questions_hint": QUESTIONS_HINT, "error": None, "edit": None,
            "sent_link": None, "form": {}, **extra}


def _page(request: Request, session, error: GuanxiError | None = None, **extra):
    if error is None:
        session.commit()
        return RedirectResponse("/service/settings", status_code=303)
    session.rollback()
    return render(request, "service/settings.html", _context(request, session, error=error.detail, **extra), status=422)


@router.get("/service/settings")
def settings_page(request: Request, actor: Worker, session: SessionDep,
                  edit: Annotated[str, Query(max_length=40)] = ""):
    context = _context(request, session)
    session.commit()   # the seeded defaults
    if edit:
        context["edit"] = next((r for r in context["replies"] if r.key == edit), None)
    return render(request, "service/settings.html", context)


@router.post("/service/settings/root-causes")
def add_root_cause(request: Request, actor: Worker, session: SessionDep, code: Short = "", name_en: Short = "",
                   name_zh: Short = ""):
    try:
        root_causes.create(session, code.strip(), name_en, name_zh)
    except GuanxiError as exc:
        return _page(request, session, exc, form={"cause": {"code": code, "name_en": name_en, "name_zh": name_zh}})
    return _page(request, session)


@router.post("/service/settings/root-causes/{code}/active")
def root_cause_active(code: str, request: Request, actor: Worker, session: SessionDep, active: Short = ""):
    try:
        root_causes.update(session, code[:100], active=active == "1")
    except GuanxiError as exc:
        return _page(request, session, exc)
    return _page(request, session)


@router.post("/service/settings/canned-replies")
def save_canned(request: Request, actor: Worker, session: SessionDep, key: Short = "", title_en: Short = "",
                title_zh: Short = "", body_en: Long = "", body_zh: Long = "", status: Short = "", tag: Short = ""):
    """Add a canned reply, or edit the one with this key."""
    values = {"title_en": title_en, "title_zh": title_zh, "body_en": body_en, "body_zh": body_zh,
              "status": status or None, "tag": tag.strip() or None}
    try:
        if any(r.key == key.strip() for r in canned_store.all_replies(session)):
            canned_store.update(session, key.strip(), **values)
        else:
            canned_store.create(session, key.strip(), **values)
    except GuanxiError as exc:
        return _page(request, session, exc, form={"canned": {"key": key, **values}})
    return _page(request, session)


@router.post("/service/settings/canned-replies/{key}/active")
def canned_active(key: str, request: Request, actor: Worker, session: SessionDep, active: Short = ""):
    try:
        canned_store.update(session, key[:40], active=active == "1")
    except GuanxiError as exc:
        return _page(request, session, exc)
    return _page(request, session)


@router.post("/service/settings/surveys")
def add_survey(request: Request, actor: Worker, session: SessionDep, code: Short = "", title_en: Short = "",
               title_zh: Short = "", questions: Long = ""):
    try:
        survey_definitions.create(session, code.strip(), title_en, title_zh, parse_questions(questions))
    except GuanxiError as exc:
        return _page(request, session, exc, form={"survey": {"code": code, "title_en": title_en,
                                                             "title_zh": title_zh, "questions": questions}})
    return _page(request, session)


@router.post("/service/settings/surveys/{code}/send")
def send_survey(code: str, request: Request, actor: Worker, session: SessionDep, runtime: RuntimeDep,
                customer_id: Short = ""):
    """Send the survey to one customer; the page shows the single-use link."""
    from guanxi.customers import profiles

    cfg = get_service_settings()
    try:
        if not customer_id.strip().isdigit():
            raise Invalid("the customer id is a number")
        definition = survey_definitions.get(session, code[:40], active=True)
        profiles.live_customer(session, int(customer_id))
        sent = surveys.send(session, cfg, "custom", customer_id=int(customer_id), definition=definition)
    except GuanxiError as exc:
        return _page(request, session, exc)
    session.commit()
    link = sent.link(cfg.public_url)
    notify.send(runtime.settings, notify.email_of(session, runtime.cipher, int(customer_id)),
                f"{definition.title_en} / {definition.title_zh}", f"A few questions, one page:\n{link}\n")
    return render(request, "service/settings.html", _context(request, session, sent_link=link))


@router.get("/service/reports/rates")
def rates_page(request: Request, actor: Worker, session: SessionDep,
               since: Annotated[str, Query(max_length=10)] = "", until: Annotated[str, Query(max_length=10)] = ""):
    error, data = None, None
    try:
        start, end = day_range(dt.date.fromisoformat(since) if since else None,
                               dt.date.fromisoformat(until) if until else None)
        data = rates.rates(session, start, end)
    except ValueError:
        error = "dates are written YYYY-MM-DD"
    except GuanxiError as exc:
        error = exc.detail
    if data:
        since, until = data["since"].date().isoformat(), (data["until"].date() - dt.timedelta(days=1)).isoformat()
    return render(request, "service/rates.html", {"data": data, "error": error, "since": since, "until": until,
                                                   "dimensions": DIMENSION_LABELS}, status=422 if error else 200)
