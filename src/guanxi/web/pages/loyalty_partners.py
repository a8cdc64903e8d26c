"""Coalition partners (/loyalty/partners): list, create (the token is shown once), rotate a token,
and a partner's monthly settlement statement with its CSV download."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request

from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.loyalty import partners
from guanxi.privacy import audit
from guanxi.staff.roles import Perm
from guanxi.web import menu, sections
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import render, state_of

router = APIRouter()
menu.add("loyalty_partners", N_("Loyalty partners"), "/loyalty/partners", Perm.loyalty_configure, order=50)
Configurer = page_for(Perm.loyalty_configure)
Short = Annotated[str, Form(max_length=200)]
Number = Annotated[str, Form(max_length=12)]
UNIT_LABELS = {"currency": N_("Purchase amounts (minor units)"), "points": N_("The partner's own points")}
STATUS_LABELS = {"active": N_("active"), "suspended": N_("suspended")}


def _page(request: Request, session, status: int = 200, **extra):
    t = state_of(request).t
    return render(request, "loyalty/partners.html", {
        "partners": partners.list_partners(session), "status_labels": STATUS_LABELS,
        "unit_options": [(k, t.gettext(v)) for k, v in UNIT_LABELS.items()],
        "form": {}, "error": None, "created": None, "created_code": None, **extra,
    }, fragment="loyalty/_partners.html", status=status)


@router.get("/loyalty/partners")
def partners_page(request: Request, actor: Configurer, session: SessionDep):
    return _page(request, session)


def _whole(t, label: str, text: str, *, minimum: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise Invalid(t.gettext("%(field)s is a whole number.", field=t.gettext(label))) from None
    if value < minimum:
        raise Invalid(t.gettext("%(field)s is at least %(min)d.", field=t.gettext(label), min=minimum))
    return value


@router.post("/loyalty/partners")
def create_partner(request: Request, actor: Configurer, session: SessionDep, code: Short = "", name: Short = "",
                   unit: Short = "currency", unit_currency: Short = "", rate_units: Number = "",
                   rate_points: Number = "", value_minor: Number = "", value_points: Number = "1",
                   currency: Short = ""):
    t = state_of(request).t
    form = {"code": code, "name": name, "unit": unit, "unit_currency": unit_currency, "rate_units": rate_units,
            "rate_points": rate_points, "value_minor": value_minor, "value_points": value_points,
            "currency": currency}
    try:
        if not partners.CODE.match(code.strip()):
            raise Invalid(t.gettext("The code is 1 to 24 letters, digits, - or _."))
        if not name.strip():
            raise Invalid(t.gettext("Give the partner a name."))
        if unit not in UNIT_LABELS:
            raise Invalid(t.gettext("Choose what the partner posts."))
        currencies = [c.strip().upper() for c in (currency, unit_currency)]
        if any(c and (len(c) != 3 or not c.isalpha()) for c in currencies) or not currencies[0]:
            raise Invalid(t.gettext("A currency is a three-letter code, e.g. CNY."))
        row, token = partners.create_partner(
            session, code=code.strip(), name=name.strip(), unit=unit,
            unit_currency=(currencies[1] or None) if unit == "currency" else None,
            rate_units=_whole(t, N_("Partner units"), rate_units, minimum=1),
            rate_points=_whole(t, N_("Our points"), rate_points, minimum=1),
            value_minor=_whole(t, N_("Value (minor units)"), value_minor, minimum=0),
            value_points=_whole(t, N_("Per points"), value_points, minimum=1), currency=currencies[0])
    except GuanxiError as exc:
        session.rollback()
        return _page(request, session, status=422, error=exc.detail, form=form)
    audit.record(session, "partner_created", actor, subject_type="partner", subject_id=row.code, via="web")
    session.commit()
    # The plaintext is shown in this reply only; it is never stored.
    return _page(request, session, created=token, created_code=row.code)


@router.post("/loyalty/partners/{code}/token")
def rotate_token(code: str, request: Request, actor: Configurer, session: SessionDep):
    row, token = partners.rotate_token(session, code[:24])
    audit.record(session, "partner_token_rotated", actor, subject_type="partner", subject_id=row.code, via="web")
    session.commit()
    return _page(request, session, created=token, created_code=row.code)


@router.get("/loyalty/partners/{code}/statements")
def statement_page(code: str, request: Request, actor: Configurer, session: SessionDep, runtime: RuntimeDep,
                   month: Annotated[str, Query(max_length=20)] = ""):
    """The month's settlement (this month in the shop's time zone unless another is asked for)."""
    tz = runtime.settings.default_timezone
    partner = partners.get_partner(session, code[:24])
    month = month or dt.datetime.now(ZoneInfo(tz)).strftime("%Y-%m")
    try:
        summary = partners.statement(session, partner, month, tz)
    except Invalid:
        t = state_of(request).t
        return render(request, "loyalty/partner_statement.html", {
            "partner": partner, "month": month, "summary": None, "lines": [],
            "error": t.gettext("Write the month as YYYY-MM, e.g. 2026-11.")}, status=422)
    return render(request, "loyalty/partner_statement.html", {
        "partner": partner, "month": month, "summary": summary, "error": None,
        "lines": partners.statement_lines(session, partner, month, tz)})


@sections.member_section("partner_code", N_("My member code"), "loyalty/_member_partner_code.html", order=22)
def member_partner_code(session, runtime, customer_id: int) -> dict:
    code = partners.member_code(session, customer_id)
    session.commit()  # made on first view: the member may read it out at a till straight away
    return {"code": code, "partners": [p for p in partners.list_partners(session) if p.status == "active"],
            "sharing": partners.shares_with_partners(session, customer_id)}
