"""The journeys page (operations): each journey with its per-step counts, and a form + JSON editor for new ones."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from guanxi.care import journeys
from guanxi.care.campaigns import TRIGGERS
from guanxi.care.journey_api import spec_of
from guanxi.care.schemas import JourneyWrite
from guanxi.care.settings import load_care_settings
from guanxi.deps import SessionDep
from guanxi.errors import GuanxiError
from guanxi.staff.roles import Perm
from guanxi.web import menu
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import is_htmx, render

router = APIRouter()
menu.add("journeys", N_("Journeys"), "/care/journeys", Perm.campaigns_manage, order=47)
JourneyPage = page_for(Perm.campaigns_manage)
Text = Annotated[str, Form(max_length=200)]
Body = Annotated[str, Form(max_length=50_000)]

# What the editor starts with: the journey of the issue, to change rather than to type from nothing.
EXAMPLE_STEPS = [
    {"id": "hello", "type": "send", "channel": "email", "template": "hello"},
    {"id": "pause", "type": "wait", "days": 2},
    {"id": "check", "type": "condition", "when": "clicked", "yes": "thanks", "no": "remind"},
    {"id": "thanks", "type": "send", "channel": "email", "template": "thanks", "next": "end"},
    {"id": "remind", "type": "send", "channel": "email", "template": "remind"},
    {"id": "end", "type": "exit"},
]


def _page(request: Request, session, *, status: int = 200, **extra):
    rows = [(j, journeys.step_counts(session, j)) for j in journeys.list_journeys(session)]
    form = extra.pop("form", {}) or {"steps": json.dumps(EXAMPLE_STEPS, ensure_ascii=False, indent=2),
                                     "goal_days": "7"}
    return render(request, "care/journeys.html", {"rows": rows, "triggers": list(TRIGGERS), "form": form, **extra},
                  fragment="care/_journeys.html", status=status)


@router.get("/care/journeys")
def journeys_page(request: Request, actor: JourneyPage, session: SessionDep):
    return _page(request, session)


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}"


@router.post("/care/journeys")
def create_journey(request: Request, actor: JourneyPage, session: SessionDep, name: Text = "", trigger: Text = "",
                   customer_ids: Body = "", goal_days: Text = "", steps: Body = ""):
    form = {"name": name, "trigger": trigger, "customer_ids": customer_ids, "goal_days": goal_days, "steps": steps}
    try:
        ids = [int(x) for x in customer_ids.replace(",", " ").split()] if customer_ids.strip() else None
        goal = int(goal_days) if goal_days.strip() else None
        parsed = json.loads(steps or "[]")
    except ValueError:
        return _page(request, session, status=422, form=form,
                     error=N_("Customer numbers and goal days are numbers, and the steps are JSON."))
    try:
        body = JourneyWrite.model_validate({"name": name, "trigger": trigger or None, "steps": parsed,
                                            "audience": {"customer_ids": ids} if ids else {}, "goal_days": goal})
        row = journeys.create_journey(session, actor, spec_of(body), load_care_settings().occasions)
        session.commit()
    except ValidationError as exc:
        return _page(request, session, status=422, form=form, error=_problem(exc))
    except GuanxiError as exc:
        session.rollback()
        return _page(request, session, status=exc.status, form=form, error=exc.detail)
    if not is_htmx(request):
        return RedirectResponse("/care/journeys", status_code=303)
    return _page(request, session, created_id=row.id)


@router.post("/care/journeys/{journey_id}/status")
def journey_status(journey_id: int, request: Request, actor: JourneyPage, session: SessionDep, status: Text = ""):
    try:
        journeys.set_status(session, actor, journey_id, status)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _page(request, session, status=exc.status, error=exc.detail)
    if not is_htmx(request):
        return RedirectResponse("/care/journeys", status_code=303)
    return _page(request, session)
