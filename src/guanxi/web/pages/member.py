"""The member page (mobile first): profile, message preferences, privacy, and later domains' sections."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from guanxi.customers import consents, profiles
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.privacy import audit, requests as privacy_requests
from guanxi.web import sections
from guanxi.web.i18n import N_
from guanxi.web.member_auth import Member
from guanxi.web.models import PrivacyRequest
from guanxi.web.rendering import is_htmx, render

router = APIRouter()

NOTICE_VERSION = "2026-01"
# Marketing and service messages are chosen per channel; the other purposes hold for every channel.
CHOICES = [
    ("marketing", ("email", "sms", "wechat", "push")),
    ("service", ("email", "sms", "wechat", "push")),
    ("personalisation", ("any",)),
    ("analytics", ("any",)),
    ("sharing", ("any",)),
]

for key, title, order in (("points", N_("Points and tier"), 10), ("rewards", N_("Rewards"), 20),
                          ("referral", N_("Invite friends"), 30), ("tickets", N_("My tickets"), 40),
                          ("surveys", N_("Surveys"), 50)):
    sections.placeholder(sections.MEMBER_SECTIONS, key, title, order)


def _context(session, runtime, customer_id: int) -> dict:
    data = profiles.view(session, runtime.cipher, customer_id, reveal=True, timeline_limit=0)
    state = {(c["channel"], c["purpose"]): c["granted"] for c in data["consents"]}
    erasure = session.scalar(select(PrivacyRequest).where(
        PrivacyRequest.customer_id == data["id"], PrivacyRequest.kind == "erasure",
        PrivacyRequest.status == "open").order_by(PrivacyRequest.id.desc()).limit(1))
    return {
        "c": data, "choices": CHOICES, "consent": state, "notice_version": NOTICE_VERSION,
        "erasure": erasure, "sections": sections.render_list(sections.MEMBER_SECTIONS, session, runtime, data["id"]),
        "pending_sections": sections.pending(sections.MEMBER_SECTIONS),
    }


@router.get("/m/")
def member_home(request: Request, member: Member, session: SessionDep, runtime: RuntimeDep):
    return render(request, "member/home.html", _context(session, runtime, member.id))


@router.get("/m")
def member_root() -> RedirectResponse:
    return RedirectResponse("/m/", status_code=307)


@router.post("/m/preferences")
def save_preferences(request: Request, member: Member, session: SessionDep, runtime: RuntimeDep,
                     consent: Annotated[list[str] | None, Form(max_length=40)] = None):
    chosen = set(consent or [])
    current = consents.current(session, member.id)
    for purpose, channels in CHOICES:
        for channel in channels:
            want = f"{channel}:{purpose}" in chosen
            row = current.get((channel, purpose))
            if (row.granted if row else False) != want:
                consents.set_consent(session, member.id, channel, purpose, want, source="member_page",
                                     notice_version=NOTICE_VERSION)
    session.commit()
    if not is_htmx(request):
        return RedirectResponse("/m/?saved=1#preferences", status_code=303)
    return render(request, "member/home.html", {**_context(session, runtime, member.id), "saved": True},
                  fragment="member/_preferences.html")


@router.post("/m/privacy/export")
def download_my_data(member: Member, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Everything held about the member, as one JSON file (audited as an export)."""
    document = privacy_requests.export(session, runtime.cipher, member.id, member)
    session.commit()
    return Response(json.dumps(document, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="my-data-{member.id}.json"',
                             "Cache-Control": "no-store"})


@router.post("/m/privacy/erasure")
def ask_for_erasure(request: Request, member: Member, session: SessionDep):
    """Record the request; the shop's privacy officer carries it out (orders stay for accounting)."""
    open_request = session.scalar(select(PrivacyRequest).where(
        PrivacyRequest.customer_id == member.id, PrivacyRequest.kind == "erasure", PrivacyRequest.status == "open"))
    if open_request is None:
        session.add(PrivacyRequest(customer_id=member.id, kind="erasure", source="member_page"))
        audit.record(session, "erasure_requested", member, subject_type="customer", subject_id=member.id)
        session.commit()
    return RedirectResponse("/m/#privacy", status_code=303)
