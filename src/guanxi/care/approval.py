"""The four-eyes rule for campaigns (GUANXI_CARE_REQUIRE_APPROVAL): a second staff member approves
a campaign before it starts or runs. Neither its author nor its last editor can approve it, and any
edit clears the approval, so what runs is exactly what someone else read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from guanxi.care.models import Campaign
from guanxi.db import utcnow
from guanxi.errors import Conflict, Forbidden
from guanxi.privacy import audit
from guanxi.staff.roles import Actor


def approve(session: Session, actor: Actor, campaign: Campaign) -> Campaign:
    if campaign.status == "ended":
        raise Conflict("an ended campaign cannot be approved")
    if actor.ref == campaign.created_by:
        raise Forbidden("you created this campaign: a second staff member has to approve it")
    if actor.ref == campaign.edited_by:
        raise Forbidden("you edited this campaign last: a second staff member has to approve your changes")
    if campaign.approved_by is None:  # approving twice changes nothing and is not audited twice
        campaign.approved_by, campaign.approved_at = actor.ref, utcnow()
        audit.record(session, "care_campaign_approved", actor, subject_type="care_campaign",
                     subject_id=campaign.id)
    return campaign


def withdraw(session: Session, actor: Actor, campaign: Campaign, reason: str = "withdrawn") -> None:
    """Clear an approval (an edit does this by itself); audited when there was one."""
    if campaign.approved_by is not None:
        campaign.approved_by, campaign.approved_at = None, None
        audit.record(session, "care_campaign_approval_cleared", actor, subject_type="care_campaign",
                     subject_id=campaign.id, reason=reason)


def is_approved(campaign: Campaign, required: bool) -> bool:
    return not required or campaign.approved_by is not None


def check_can_run(campaign: Campaign, required: bool) -> None:
    if not is_approved(campaign, required):
        raise Conflict("this campaign needs approval by a second staff member before it starts "
                       f"(POST /api/v1/care/campaigns/{campaign.id}/approval)",
                       errors=[{"loc": ["campaign", "approved_by"], "msg": "not approved yet"}])
