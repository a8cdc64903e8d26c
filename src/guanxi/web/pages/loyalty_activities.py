"""Member activities in the admin console (events, the door check-in, product trials) and on the member page
(answer an invitation and show the ticket's QR code, apply for a trial). The loyalty.activities functions
do the work; times are typed and shown in the shop's time zone and stored in UTC."""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from guanxi.db import utcnow
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.loyalty import activities, catalogue
from guanxi.staff.roles import Perm
from guanxi.web import menu, sections
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.member_auth import Member
from guanxi.web.rendering import render, state_of

router = APIRouter()
menu.add("activities", N_("Member activities"), "/loyalty/events", Perm.loyalty_configure, order=42)
Configurer = page_for(Perm.loyalty_configure)
Door = page_for(Perm.customers_write)
Short = Annotated[str, Form(max_length=300)]
Long = Annotated[str, Form(max_length=5000)]

KIND_LABELS = {"member_day": N_("Member day"), "product_trial": N_("Product trial day"),
               "meetup": N_("Offline meet-up"), "live_qa": N_("Live Q&A")}
ANSWER_LABELS = {"yes": N_("Coming"), "no": N_("Not coming"), "waitlist": N_("On the waitlist")}
APPLICATION_LABELS = {"applied": N_("Applied"), "picked": N_("Picked"), "shipped": N_("Shipped"),
                      "delivered": N_("Delivered")}


def qr_svg(text: str) -> Markup:
    """The ticket as an inline SVG QR code (segno: pure Python, no image library)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True,
                                     title="QR", svgclass="qr")
    return Markup(out.getvalue().decode())


def _shop_time(runtime, value: str, name: str, label: str) -> dt.datetime:
    """A datetime-local value (YYYY-MM-DDTHH:MM) in the shop's zone, as UTC."""
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{label}: a date and time such as 2026-12-12T19:00",
                      errors=[{"loc": ["form", name], "msg": "date and time"}]) from None
    return naive.replace(tzinfo=ZoneInfo(runtime.settings.default_timezone)).astimezone(dt.UTC)


def _audience(segment_id: str, tier_codes: str) -> dict:
    out: dict = {}
    if segment_id.strip():
        if not segment_id.strip().isdigit():
            raise Invalid("the segment is its number", errors=[{"loc": ["form", "segment_id"], "msg": "number"}])
        out["segment_id"] = int(segment_id)
    if tier_codes.strip():
        out["tiers"] = [c for c in tier_codes.replace(",", " ").split() if c]
    return out


def _number(value: str, name: str, low: int = 0) -> int:
    if not value.strip().isdigit() or int(value) < low or len(value.strip()) > 9:
        raise Invalid(f"{name}: a whole number of at least {low}", errors=[{"loc": ["form", name], "msg": "number"}])
    return int(value)


# -- events (staff) -------------------------------------------------------------------------------

def _events_page(request, session, *, error: str | None = None, form: dict | None = None, status: int = 200):
    rows = [(e, activities.counts(session, e.id)) for e in activities.events(session)]
    return render(request, "loyalty/events.html", {
        "rows": rows, "kinds": KIND_LABELS, "tiers": catalogue.tiers(session), "error": error, "form": form or {},
    }, status=status)


@router.get("/loyalty/events")
def events_page(request: Request, actor: Configurer, session: SessionDep):
    return _events_page(request, session)


@router.post("/loyalty/events")
def create_event(request: Request, actor: Configurer, session: SessionDep, runtime: RuntimeDep,
                 kind: Short = "meetup", title: Short = "", description: Long = "", starts_at: Short = "",
                 ends_at: Short = "", place: Short = "", link: Short = "", capacity: Short = "",
                 waitlist: Short = "", points: Short = "0", segment_id: Short = "", tiers: Short = ""):
    form = {"kind": kind, "title": title, "description": description, "starts_at": starts_at, "ends_at": ends_at,
            "place": place, "link": link, "capacity": capacity, "waitlist": waitlist, "points": points,
            "segment_id": segment_id, "tiers": tiers}
    try:
        if not title.strip():
            raise Invalid(state_of(request).t.gettext("Give the event a title."))
        if link.strip() and not link.strip().startswith(("https://", "http://")):
            raise Invalid(state_of(request).t.gettext("The link starts with https://"))
        row = activities.create_event(
            session, actor.ref, kind=kind, title=title, description=description,
            starts_at=_shop_time(runtime, starts_at, "starts_at", "start"),
            ends_at=_shop_time(runtime, ends_at, "ends_at", "end"), place=place.strip() or None,
            link=link.strip() or None, capacity=_number(capacity, "capacity", 1), waitlist=bool(waitlist),
            audience=_audience(segment_id, tiers), points=_number(points or "0", "points"))
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _events_page(request, session, error=exc.detail, form=form, status=exc.status)
    return RedirectResponse(f"/loyalty/events/{row.id}", status_code=303)


def _event_page(request, session, event_id: int, *, message: str | None = None, error: str | None = None,
                status: int = 200):
    row = activities.event(session, event_id)
    return render(request, "loyalty/event.html", {
        "e": row, "counts": activities.counts(session, event_id), "rsvps": activities.rsvps(session, event_id),
        "kinds": KIND_LABELS, "answers": ANSWER_LABELS, "message": message, "error": error,
    }, status=status)


@router.get("/loyalty/events/{event_id}")
def event_page(event_id: int, request: Request, actor: Door, session: SessionDep):
    """The event with its answers and the door's check-in form (scan or type the ticket)."""
    return _event_page(request, session, event_id)


@router.post("/loyalty/events/{event_id}/check-ins")
def check_in(event_id: int, request: Request, actor: Door, session: SessionDep, runtime: RuntimeDep,
             token: Annotated[str, Form(max_length=100)] = ""):
    t = state_of(request).t
    try:
        rsvp = activities.check_in(session, runtime.secrets.session_secret, event_id, token, actor.ref)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _event_page(request, session, event_id, error=exc.detail, status=exc.status)
    return _event_page(request, session, event_id,
                       message=t.gettext("Checked in: member %(id)s. Welcome!") % {"id": rsvp.customer_id})


# -- trials (staff) -------------------------------------------------------------------------------

def _trials_page(request, session, *, error: str | None = None, form: dict | None = None, status: int = 200):
    return render(request, "loyalty/trials.html", {"rows": activities.trials(session), "error": error,
                                                   "form": form or {}}, status=status)


@router.get("/loyalty/trials")
def trials_page(request: Request, actor: Configurer, session: SessionDep):
    return _trials_page(request, session)


@router.post("/loyalty/trials")
def create_trial(request: Request, actor: Configurer, session: SessionDep, runtime: RuntimeDep,
                 title: Short = "", sku: Short = "", quantity: Short = "", apply_from: Short = "",
                 apply_until: Short = "", segment_id: Short = "", tiers: Short = ""):
    form = {"title": title, "sku": sku, "quantity": quantity, "apply_from": apply_from, "apply_until": apply_until,
            "segment_id": segment_id, "tiers": tiers}
    try:
        if not title.strip() or not sku.strip():
            raise Invalid(state_of(request).t.gettext("Give the trial a title and a SKU."))
        row = activities.create_trial(
            session, actor.ref, title=title, sku=sku, quantity=_number(quantity, "quantity", 1),
            apply_from=_shop_time(runtime, apply_from, "apply_from", "applications from"),
            apply_until=_shop_time(runtime, apply_until, "apply_until", "applications until"),
            audience=_audience(segment_id, tiers))
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _trials_page(request, session, error=exc.detail, form=form, status=exc.status)
    return RedirectResponse(f"/loyalty/trials/{row.id}", status_code=303)


def _trial_page(request, session, trial_id: int, *, segment_id: str = "", tier: str = "", status_filter: str = "",
                error: str | None = None, status: int = 200):
    row = activities.trial(session, trial_id)
    apps, filter_error = [], None
    try:
        aud = _audience(segment_id, tier)
        apps = activities.applications(session, trial_id, status=status_filter or None,
                                       segment_id=aud.get("segment_id"), tier_codes=aud.get("tiers"))
    except GuanxiError as exc:
        filter_error = exc.detail
    given = sum(1 for a in activities.applications(session, trial_id) if a.status in activities.CHOSEN)
    return render(request, "loyalty/trial.html", {
        "t": row, "apps": apps, "given": given, "labels": APPLICATION_LABELS, "error": error or filter_error,
        "filters": {"segment_id": segment_id, "tier": tier, "status": status_filter},
    }, status=status if not filter_error else 422)


@router.get("/loyalty/trials/{trial_id}")
def trial_page(trial_id: int, request: Request, actor: Configurer, session: SessionDep,
               segment_id: Annotated[str, Query(max_length=20)] = "", tier: Annotated[str, Query(max_length=200)] = "",
               status: Annotated[str, Query(max_length=20)] = ""):
    return _trial_page(request, session, trial_id, segment_id=segment_id, tier=tier, status_filter=status)


@router.post("/loyalty/trials/{trial_id}/picks")
def pick(trial_id: int, request: Request, actor: Configurer, session: SessionDep, count: Short = "",
         segment_id: Short = "", tier: Short = ""):
    try:
        aud = _audience(segment_id, tier)
        activities.pick(session, trial_id, actor.ref, count=_number(count, "count", 1),
                        segment_id=aud.get("segment_id"), tier_codes=aud.get("tiers"))
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _trial_page(request, session, trial_id, segment_id=segment_id, tier=tier, error=exc.detail,
                           status=exc.status)
    return RedirectResponse(f"/loyalty/trials/{trial_id}?status=picked", status_code=303)


@router.post("/loyalty/trials/{trial_id}/applications/{application_id}/{step}")
def mark(trial_id: int, application_id: int, step: str, request: Request, actor: Configurer, session: SessionDep):
    if step not in ("shipment", "delivery"):
        raise Invalid("the step is shipment or delivery")
    try:
        activities.mark(session, trial_id, application_id,
                        activities.SHIPPED if step == "shipment" else activities.DELIVERED)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _trial_page(request, session, trial_id, error=exc.detail, status=exc.status)
    return RedirectResponse(f"/loyalty/trials/{trial_id}", status_code=303)


@sections.customer_section("activities", N_("Events and trials"), "loyalty/_customer_activities.html",
                           perm=Perm.customers_read, order=22)
def customer_activities(session, runtime, customer_id: int) -> dict:
    return {**activities.of_customer(session, customer_id), "answers": ANSWER_LABELS, "labels": APPLICATION_LABELS}


# -- the member page ------------------------------------------------------------------------------

@sections.member_section("activities", N_("Events and trials"), "loyalty/_member_activities.html", order=25)
def member_activities(session, runtime, customer_id: int) -> dict:
    now = utcnow()
    secret = runtime.secrets.session_secret
    evs = []
    for e, mine in activities.member_events(session, customer_id, now):
        token = activities.ticket(secret, mine) if mine is not None and mine.answer == "yes" else None
        evs.append({"e": e, "mine": mine, "left": max(e.capacity - activities.counts(session, e.id)["yes"], 0),
                    "token": token, "qr": qr_svg(token) if token else None})
    return {"events": evs, "trials": activities.member_trials(session, customer_id, now), "kinds": KIND_LABELS,
            "answers": ANSWER_LABELS, "labels": APPLICATION_LABELS, "now": now}


@router.post("/m/events/{event_id}/rsvp")
def member_answers(event_id: int, member: Member, session: SessionDep,
                   answer: Annotated[str, Form(max_length=10)] = ""):
    """Yes or no from the member page; a full event answers with its message (409)."""
    try:
        activities.answer(session, event_id, member.id, answer)
        session.commit()
    except GuanxiError:
        session.rollback()
        raise
    return RedirectResponse(f"/m/#event-{event_id}", status_code=303)


@router.post("/m/trials/{trial_id}/applications")
def member_applies(trial_id: int, member: Member, session: SessionDep):
    try:
        activities.apply(session, trial_id, member.id)
        session.commit()
    except GuanxiError:
        session.rollback()
        raise
    return RedirectResponse(f"/m/#trial-{trial_id}", status_code=303)
