"""The customer 360: masked personal data with an audited reveal, identities, consents, orders,
timeline, tags and notes, and the sections other domains add."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from guanxi.customers import hooks, profiles
from guanxi.customers.consents import CHANNELS, PURPOSES
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import Invalid
from guanxi.privacy import audit
from guanxi.staff.roles import Actor, Perm
from guanxi.web import notes, sections
from guanxi.web.auth import page_for
from guanxi.web.i18n import N_
from guanxi.web.rendering import is_htmx, render, state_of

router = APIRouter()
Reader = page_for(Perm.customers_read)
Writer = page_for(Perm.customers_write)
FormText = Annotated[str, Form(max_length=4000)]

# Slots the later domains fill with @sections.customer_section(...).
sections.placeholder(sections.CUSTOMER_SECTIONS, "points", N_("Points and tier"), 10)
sections.placeholder(sections.CUSTOMER_SECTIONS, "tickets", N_("Tickets"), 20)
sections.placeholder(sections.CUSTOMER_SECTIONS, "messages", N_("Messages"), 30)


def _context(request: Request, session, runtime, actor: Actor, customer_id: int, *, reveal: bool) -> dict:
    data = profiles.view(session, runtime.cipher, customer_id, reveal=reveal, timeline_limit=30)
    orders_source = hooks.timeline_sources.get("orders")
    orders = [e for e in orders_source(session, data["id"], 20) if e["kind"] == "order"] if orders_source else []
    consent_state = {(c["channel"], c["purpose"]): c for c in data["consents"]}
    return {
        "c": data, "orders": orders, "notes": notes.notes_of(session, data["id"]),
        "consent_state": consent_state, "channels": CHANNELS, "purposes": PURPOSES,
        "can_reveal": actor.can(Perm.customers_read_pii), "can_write": actor.can(Perm.customers_write),
        "sections": sections.render_list(sections.CUSTOMER_SECTIONS, session, runtime, data["id"], actor.can),
        "pending_sections": sections.pending(sections.CUSTOMER_SECTIONS),
    }


@router.get("/customers/{customer_id}")
def customer_page(customer_id: int, request: Request, actor: Reader, session: SessionDep, runtime: RuntimeDep):
    ctx = _context(request, session, runtime, actor, customer_id, reveal=False)
    if ctx["c"]["id"] != customer_id:  # merged into another profile
        return RedirectResponse(f"/customers/{ctx['c']['id']}", status_code=303)
    return render(request, "customers/detail.html", ctx)


@router.post("/customers/{customer_id}/reveal")
def reveal(customer_id: int, request: Request, actor: page_for(Perm.customers_read_pii), session: SessionDep,
           runtime: RuntimeDep):
    """Show the personal data in full; every reveal is an audit row (and counts toward the alert)."""
    ctx = _context(request, session, runtime, actor, customer_id, reveal=True)
    audit.record_pii_read(session, actor, "customer", ctx["c"]["id"], via="web",
                          threshold_per_hour=runtime.settings.pii_alert_per_hour)
    session.commit()
    return render(request, "customers/detail.html", ctx, fragment="customers/_pii.html")


@router.post("/customers/{customer_id}/tags")
def add_tag(customer_id: int, request: Request, actor: Writer, session: SessionDep, runtime: RuntimeDep,
            tag: FormText = ""):
    error = None
    try:
        profiles.update_profile(session, runtime.cipher, customer_id, {"tags": [notes.clean_tag(tag)]})
        session.commit()
    except Invalid:
        session.rollback()
        error = state_of(request).t.gettext("A tag is 1 to %(n)s characters.", n=notes.MAX_TAG)
    return _tags_reply(request, session, runtime, actor, customer_id, error)


@router.post("/customers/{customer_id}/tags/remove")
def remove_tag(customer_id: int, request: Request, actor: Writer, session: SessionDep, runtime: RuntimeDep,
               tag: FormText = ""):
    notes.remove_tag(session, customer_id, tag)
    session.commit()
    return _tags_reply(request, session, runtime, actor, customer_id, None)


def _tags_reply(request, session, runtime, actor, customer_id, error):
    if not error and not is_htmx(request):  # without JavaScript: post, then redirect to the page
        return RedirectResponse(f"/customers/{customer_id}", status_code=303)
    ctx = _context(request, session, runtime, actor, customer_id, reveal=False)
    return render(request, "customers/detail.html", {**ctx, "tag_error": error},
                  fragment="customers/_tags.html", status=422 if error else 200)


@router.post("/customers/{customer_id}/notes")
def add_note(customer_id: int, request: Request, actor: Writer, session: SessionDep, runtime: RuntimeDep,
             body: FormText = ""):
    error = None
    customer = profiles.live_customer(session, customer_id)
    try:
        notes.add_note(session, customer.id, actor.name, body)
        session.commit()
    except Invalid:
        session.rollback()
        error = state_of(request).t.gettext("Write a note of up to %(n)s characters.", n=notes.MAX_NOTE)
    if not error and not is_htmx(request):
        return RedirectResponse(f"/customers/{customer_id}", status_code=303)
    ctx = _context(request, session, runtime, actor, customer_id, reveal=False)
    return render(request, "customers/detail.html", {**ctx, "note_error": error},
                  fragment="customers/_notes.html", status=422 if error else 200)


@router.post("/customers/{customer_id}/notes/{note_id}/delete")
def delete_note(customer_id: int, note_id: int, request: Request, actor: Writer, session: SessionDep,
                runtime: RuntimeDep):
    customer = profiles.live_customer(session, customer_id)
    notes.delete_note(session, customer.id, note_id)
    session.commit()
    if not is_htmx(request):
        return RedirectResponse(f"/customers/{customer_id}", status_code=303)
    ctx = _context(request, session, runtime, actor, customer_id, reveal=False)
    return render(request, "customers/detail.html", ctx, fragment="customers/_notes.html")
