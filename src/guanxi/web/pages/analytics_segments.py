"""The segment rule builder: AND/OR groups of conditions, a live member count, save and snapshot.

The builder is a plain form (works without JavaScript); HTMX asks ``/analytics/segments/count``
for the count fragment on every change. The count is one SQL ``COUNT`` over the rule
(``reports.count_members``), the same query the API's preview runs. A JSON rule typed in the
text area takes precedence over the builder rows, so rules too deep for the grid can be written.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import StringConstraints

from guanxi.analytics import membership, reports, segment_rules
from guanxi.deps import SessionDep
from guanxi.errors import GuanxiError, Invalid
from guanxi.staff.roles import Perm
from guanxi.web.auth import page_for
from guanxi.web.rendering import render, state_of

router = APIRouter()
GROUPS, ROWS = 3, 3  # the builder's grid: three groups of three conditions
LIST_OPS = ("in", "not_in")
Texts = list[Annotated[str, StringConstraints(max_length=2000)]]  # one per builder row
MAX_CELLS = 60
Short = Annotated[str, Form(max_length=100)]


def _value(field: str, op: str, text: str, t):
    kind, _ = segment_rules.FIELDS.get(field, (segment_rules.TEXT, None))
    parts = [p.strip() for p in text.replace("，", ",").split(",")] if op in LIST_OPS else [text.strip()]
    parts = [p for p in parts if p]
    if kind == segment_rules.NUMBER:
        try:
            parts = [int(p) if p.lstrip("-").isdigit() else float(p) for p in parts]
        except ValueError:
            raise Invalid(t.gettext("%(field)s compares with numbers, not %(text)s") % {"field": field, "text": text}) \
                from None
    if op in LIST_OPS:
        return parts
    return parts[0] if parts else ""


def rule_from(top: str, group_kind: Texts, group: Texts, field: Texts, op: Texts, value: Texts,
              rule_json: str, t) -> dict:
    """The rule the form describes: the JSON text when given, else the builder rows."""
    if rule_json.strip():
        try:
            return json.loads(rule_json)
        except ValueError as exc:
            raise Invalid(t.gettext("The JSON rule does not parse: %(error)s") % {"error": exc}) from None
    groups: dict[int, list] = {}
    for g, f, o, v in zip(group, field, op, value, strict=False):
        if f:
            groups.setdefault(int(g) if g.isdigit() else 0, []).append(
                {"field": f, "op": o, "value": _value(f, o, v, t)})
    if not groups:
        raise Invalid(t.gettext("Add at least one condition."))
    kinds = {i: (k if k in ("all", "any") else "all") for i, k in enumerate(group_kind)}
    parts = [{kinds.get(i, "all"): conds} for i, conds in sorted(groups.items())]
    return {top if top in ("all", "any") else "all": parts}


def _count(session, rule: dict) -> int:
    return reports.count_members(session, segment_rules.parse(rule))


def _page(request: Request, session, *, form: dict | None = None, error: str | None = None,
          count: int | None = None, status: int = 200):
    rows = reports.list_segments(session)
    return render(request, "analytics/segments.html", {
        "segments": rows, "fields": list(segment_rules.FIELDS), "ops": sorted(segment_rules.OPS),
        "groups": GROUPS, "rows": ROWS, "form": form or {}, "error": error, "count": count,
    }, status=status)


def _form_dict(top, group_kind, group, field, op, value, rule_json, name="") -> dict:
    cells = {}
    for i, (g, f, o, v) in enumerate(zip(group, field, op, value, strict=False)):
        cells[i] = {"group": g, "field": f, "op": o, "value": v}
    return {"top": top, "group_kind": group_kind, "cells": cells, "rule_json": rule_json, "name": name}


@router.get("/analytics/segments")
def segments_page(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep):
    return _page(request, session)


@router.get("/analytics/segments/count")
def segment_count(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep,
                  top: Annotated[str, Query(max_length=3)] = "all",
                  group_kind: Annotated[Texts, Query(max_length=MAX_CELLS)] = [],  # noqa: B006 (FastAPI copies it)
                  group: Annotated[Texts, Query(max_length=MAX_CELLS)] = [],  # noqa: B006
                  field: Annotated[Texts, Query(max_length=MAX_CELLS)] = [],  # noqa: B006
                  op: Annotated[Texts, Query(max_length=MAX_CELLS)] = [],  # noqa: B006
                  value: Annotated[Texts, Query(max_length=MAX_CELLS)] = [],  # noqa: B006
                  rule_json: Annotated[str, Query(max_length=20000)] = ""):
    """The count fragment for the rule as edited: a number, or what is wrong with the rule."""
    t = state_of(request).t
    try:
        rule = rule_from(top, group_kind, group, field, op, value, rule_json, t)
        count, error = _count(session, rule), None
    except Invalid as exc:
        rule, count, error = None, None, exc.detail
    return render(request, "analytics/_segment_count.html", {
        "count": count, "error": error, "rule_text": rule and json.dumps(rule, ensure_ascii=False)})


@router.post("/analytics/segments")
def save_segment(request: Request, actor: page_for(Perm.analytics_read), session: SessionDep,
                 name: Short = "", top: Annotated[str, Form(max_length=3)] = "all",
                 group_kind: Annotated[Texts, Form(max_length=MAX_CELLS)] = [],  # noqa: B006
                 group: Annotated[Texts, Form(max_length=MAX_CELLS)] = [],  # noqa: B006
                 field: Annotated[Texts, Form(max_length=MAX_CELLS)] = [],  # noqa: B006
                 op: Annotated[Texts, Form(max_length=MAX_CELLS)] = [],  # noqa: B006
                 value: Annotated[Texts, Form(max_length=MAX_CELLS)] = [],  # noqa: B006
                 rule_json: Annotated[str, Form(max_length=20000)] = ""):
    """Save the rule as a dynamic segment; its members are recorded (entries) from now on."""
    t = state_of(request).t
    form = _form_dict(top, group_kind, group, field, op, value, rule_json, name)
    try:
        if not name.strip():
            raise Invalid(t.gettext("Give the segment a name."))
        rule = rule_from(top, group_kind, group, field, op, value, rule_json, t)
        row = reports.create_segment(session, name.strip(), rule, actor.ref)
        membership.sync_segment(session, row.id, segment_rules.parse(rule), cause="created")
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _page(request, session, form=form, error=exc.detail, status=exc.status)
    return RedirectResponse("/analytics/segments", status_code=303)


@router.post("/analytics/segments/{segment_id}/snapshot")
def snapshot_segment(segment_id: int, request: Request, actor: page_for(Perm.analytics_read), session: SessionDep,
                     name: Short = ""):
    """Freeze the dynamic segment's members now as a static segment."""
    try:
        if not name.strip():
            raise Invalid(state_of(request).t.gettext("Give the snapshot a name."))
        membership.snapshot(session, segment_id, name.strip(), actor.ref)
        session.commit()
    except GuanxiError as exc:
        session.rollback()
        return _page(request, session, error=exc.detail, status=exc.status)
    return RedirectResponse("/analytics/segments", status_code=303)
